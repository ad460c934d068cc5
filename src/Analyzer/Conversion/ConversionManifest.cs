using System.Text.Json;
using Calltape.Capture;

namespace Calltape.Analyzer.Conversion;

/// <summary>One function table as the query side needs it: view name and file.</summary>
internal sealed record TableEntry(string View, string Function, string File);

/// <summary>calltape.json, written last into a converted directory: it marks the conversion complete and maps views to files.</summary>
/// <param name="Version">The converter's layout version; a cache written by another version is rebuilt.</param>
/// <param name="Ended">The capture's trailer reason, or null when it was cut.</param>
internal sealed record ConversionManifest(int Version, string Capture, string CaptureId, long Events, string? Ended,
    IReadOnlyList<string> Warnings, IReadOnlyList<TableEntry> Tables)
{
    public const string FileName = "calltape.json";

    /// <summary>Bump when tables or columns change shape, so stale caches are rebuilt rather than misread.</summary>
    public const int CurrentVersion = 3; // 2: calls.duration_ns and calls.ret; return columns in function tables; 3: calls.stack_id, stacks

    public void Write(string dir)
    {
        using var fs = File.Create(Path.Combine(dir, FileName));
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteNumber("calltape_parquet", Version);
        w.WriteString("capture", Capture);
        w.WriteString("capture_id", CaptureId);
        w.WriteNumber("events", Events);
        w.WriteString("ended", Ended);
        w.WriteStartArray("warnings");
        foreach (var s in Warnings) w.WriteStringValue(s);
        w.WriteEndArray();
        w.WriteStartArray("tables");
        foreach (var t in Tables)
        {
            w.WriteStartObject();
            w.WriteString("view", t.View);
            w.WriteString("function", t.Function);
            w.WriteString("file", t.File);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The manifest of a converted directory, or null if there is none (not converted, or interrupted).</summary>
    public static ConversionManifest? TryRead(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var r = doc.RootElement;
            return new ConversionManifest(
                r.GetProperty("calltape_parquet").GetInt32(),
                r.GetProperty("capture").GetString() ?? "",
                r.GetProperty("capture_id").GetString() ?? "",
                r.GetProperty("events").GetInt64(),
                r.GetProperty("ended").GetString(),
                r.GetProperty("warnings").EnumerateArray().Select(e => e.GetString() ?? "").ToArray(),
                r.GetProperty("tables").EnumerateArray().Select(e => new TableEntry(
                    e.GetProperty("view").GetString() ?? "",
                    e.GetProperty("function").GetString() ?? "",
                    e.GetProperty("file").GetString() ?? "")).ToArray());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CalltapeException($"{path}: unreadable ({ex.Message}); delete the directory and convert again", ExitCodes.CorruptCapture);
        }
    }
}
