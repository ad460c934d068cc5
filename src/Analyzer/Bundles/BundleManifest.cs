using System.Text.Json;
using Calltape.Capture;

namespace Calltape.Analyzer.Bundles;

/// <summary>A traced binary as the bundle carries it: its identity and where its file is inside the bundle (or why not).</summary>
/// <param name="Index">The binary's index in the capture header.</param>
/// <param name="Key">The build-id it is keyed by (GNU, else Go), or null when the capture recorded none.</param>
/// <param name="Entry">The zip entry holding the file, or null when it is not in the bundle.</param>
/// <param name="Missing">Why the file is not in the bundle, else null.</param>
internal sealed record BundledBinary(int Index, string Path, string? Key, string? Entry, long Size, string? Missing);

/// <summary>calltape-bundle.json, the first entry of a bundle: version, origin, redactions and binaries (docs/FORMAT.md, "Bundle").</summary>
internal sealed record BundleManifest(int Version, string CaptureId, string Created, IReadOnlyList<string> Redacted,
    IReadOnlyList<BundledBinary> Binaries)
{
    public const string FileName = "calltape-bundle.json";
    public const string SummaryFile = "SUMMARY.md";
    public const string CaptureDir = "capture/";
    public const string ParquetDir = "parquet/";
    public const string BinariesDir = "binaries/";

    /// <summary>Bumped on any change of layout a version-1 reader would misread.</summary>
    public const int CurrentVersion = 1;

    public byte[] ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("calltape_bundle", Version);
            w.WriteString("capture_id", CaptureId);
            w.WriteString("created", Created);
            w.WriteStartArray("redacted");
            foreach (var r in Redacted) w.WriteStringValue(r);
            w.WriteEndArray();
            w.WriteStartArray("binaries");
            foreach (var b in Binaries)
            {
                w.WriteStartObject();
                w.WriteNumber("index", b.Index);
                w.WriteString("path", b.Path);
                w.WriteString("build_id", b.Key);
                w.WriteString("file", b.Entry);
                w.WriteNumber("size", b.Size);
                w.WriteString("missing", b.Missing);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    /// <summary>Parses the manifest; anything unreadable or from a newer bundle version fails in one line.</summary>
    public static BundleManifest Parse(byte[] json, string bundle)
    {
        int version;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            version = r.GetProperty("calltape_bundle").GetInt32();
            if (version == CurrentVersion)
                return new BundleManifest(version,
                    r.GetProperty("capture_id").GetString() ?? "",
                    r.GetProperty("created").GetString() ?? "",
                    r.GetProperty("redacted").EnumerateArray().Select(e => e.GetString() ?? "").ToArray(),
                    r.GetProperty("binaries").EnumerateArray().Select(e => new BundledBinary(
                        e.GetProperty("index").GetInt32(),
                        e.GetProperty("path").GetString() ?? "",
                        e.GetProperty("build_id").GetString(),
                        e.GetProperty("file").GetString(),
                        e.GetProperty("size").GetInt64(),
                        e.GetProperty("missing").GetString())).ToArray());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CalltapeException($"{bundle}: corrupt Calltape bundle ({FileName} unreadable: {ex.Message})", ExitCodes.CorruptCapture);
        }
        throw new CalltapeException($"{bundle}: bundle format version {version} is not supported (this build reads version {CurrentVersion})",
            ExitCodes.Unsupported);
    }
}
