using System.IO.Compression;
using Calltape.Analyzer.Binaries;
using Calltape.Analyzer.Commands;
using Calltape.Analyzer.Conversion;
using Calltape.Analyzer.Inputs;
using Calltape.Capture;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Capture.Redaction;

namespace Calltape.Analyzer.Bundles;

/// <summary>What a bundle holds, in bytes, for the summary line and the size comparison with the raw capture.</summary>
internal sealed record BundleResult(string Output, long BundleBytes, long CaptureBytes, long ParquetBytes, long BinaryBytes,
    IReadOnlyList<string> Redacted, int BinariesIncluded, int BinariesMissing);

/// <summary>Builds a bundle: the (redacted) capture, its Parquet tables, the traced binaries by build-id, and SUMMARY.md, in one zip.</summary>
/// <remarks>
/// Everything is staged in a private directory beside the output and zipped last, into a temporary file renamed into
/// place, so a failed or interrupted bundle leaves no half-written file under the requested name. With --redact the
/// capture is rewritten first and the Parquet is converted from the rewrite, so neither holds a redacted value.
/// Binaries are stored as their debug subset (<see cref="BinarySubset"/>: headers, notes, symbol tables, .gopclntab and
/// DWARF, with code and data blanked): the decoder needs only the plan stored in the capture, and symbolizing needs
/// no code.
/// </remarks>
internal static class BundleWriter
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static async Task<BundleResult> WriteAsync(string capture, string output, IReadOnlyList<string> redact, string? binaries,
        TextWriter error, CancellationToken ct)
    {
        var full = Path.GetFullPath(output);
        if (File.Exists(full) || Directory.Exists(full)) throw new CalltapeException($"{output} exists; choose another -o or remove it");
        var parent = Path.GetDirectoryName(full) ?? "/";
        if (!Directory.Exists(parent)) throw new CalltapeException($"{parent}: no such directory", ExitCodes.NotFound);

        var rules = RedactRule.ParseAll(redact);
        var input = CaptureInput.Open(capture, binaries);
        var reader = input.OpenReader();
        // Beside the output, not in /tmp: a redacted rewrite is as big as the capture, and /tmp is often a small tmpfs.
        var stage = Path.Combine(parent, $".{Path.GetFileName(full)}.stage-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(stage, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var tmp = $"{full}.tmp-{Environment.ProcessId}";
        try
        {
            var captureDir = input.CaptureDir;
            var redacted = input.Bundle?.Manifest.Redacted.ToList() ?? [];
            if (rules.Count > 0)
            {
                var (probes, unmatched) = Redactor.Plan(reader.Header.Probes, rules);
                foreach (var w in Redactor.CheckUnmatched(unmatched, reader.Header.Probes)) error.WriteLine($"warning: {w}");
                captureDir = Path.Combine(stage, "capture");
                RedactedCopy.Write(reader, probes, captureDir);
                redacted.AddRange(rules.Select(r => r.Text).Except(redacted));
            }
            var parquetDir = Path.Combine(stage, "parquet");
            await ConvertCommand.ConvertAsync(captureDir, parquetDir, input.Binaries, error, ParquetFiles.DefaultRowGroupRows, ct);

            var finalReader = CaptureReader.Open(captureDir);
            var bins = CollectBinaries(finalReader.Header, input.Binaries);
            var manifest = new BundleManifest(BundleManifest.CurrentVersion, finalReader.Header.CaptureId,
                DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), redacted,
                bins.Select(b => b.Entry).ToArray());
            var summary = BundleSummary.Build(finalReader, manifest, Path.GetFileName(full));

            long captureBytes = 0, parquetBytes = 0, binaryBytes = 0;
            await using (var fs = new FileStream(tmp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = Private }))
            using (var zip = new ZipArchive(fs, ZipArchiveMode.Create))
            {
                // The manifest first: a reader recognizes a bundle by its first entry.
                AddBytes(zip, BundleManifest.FileName, manifest.ToJson());
                AddBytes(zip, BundleManifest.SummaryFile, System.Text.Encoding.UTF8.GetBytes(summary));
                foreach (var f in CaptureFiles(captureDir)) captureBytes += AddFile(zip, BundleManifest.CaptureDir + Path.GetFileName(f), f);
                foreach (var f in Directory.EnumerateFiles(parquetDir).Order(StringComparer.Ordinal))
                    parquetBytes += AddFile(zip, BundleManifest.ParquetDir + Path.GetFileName(f), f);
                foreach (var (file, entry) in bins.Where(b => b.File is not null))
                {
                    ct.ThrowIfCancellationRequested();
                    binaryBytes += AddBinary(zip, entry.Entry!, file!);
                }
            }
            File.Move(tmp, full);
            return new BundleResult(full, new FileInfo(full).Length, captureBytes, parquetBytes, binaryBytes, redacted,
                bins.Count(b => b.Entry.Entry is not null), bins.Count(b => b.Entry.Entry is null));
        }
        finally
        {
            OutputDirectory.Abandon(stage);
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Each traced binary: the verified file to include (keyed by build-id), or why it is left out.</summary>
    private static List<(string? File, BundledBinary Entry)> CollectBinaries(SessionHeader header, string? binaries)
    {
        var check = new BinaryCheck(binaries);
        var result = new List<(string?, BundledBinary)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < header.Binaries.Count; i++)
        {
            var b = header.Binaries[i];
            var s = check.Check(b);
            switch (s.State)
            {
                case BinaryState.Verified:
                    // Go build-ids hold '/', so the directory name is the id made file-system safe, prefixed by its kind.
                    var key = b.GnuBuildId is not null ? "gnu-" + TableLayout.Sanitize(b.GnuBuildId) : "go-" + TableLayout.Sanitize(b.GoBuildId!);
                    var entry = $"{BundleManifest.BinariesDir}{key}/{TableLayout.Sanitize(Path.GetFileName(b.Path))}";
                    // Two probes' processes may share one binary: it is stored once.
                    result.Add(used.Add(entry) ? (s.File, new BundledBinary(i, b.Path, b.Key, entry, new FileInfo(s.File!).Length, null))
                        : (null, new BundledBinary(i, b.Path, b.Key, entry, 0, null)));
                    break;
                case BinaryState.Unverifiable:
                    result.Add((null, new BundledBinary(i, b.Path, b.Key, null, 0, "no build-id recorded, so the file on disk cannot be trusted")));
                    break;
                case BinaryState.Mismatch:
                    throw new CalltapeException(
                        $"binary {s.File} has build-id {s.FoundId ?? "(none)"}, the capture was recorded with {b.Key}; pass --binaries DIR with the right one",
                        ExitCodes.BadInput);
                default:
                    result.Add((null, new BundledBinary(i, b.Path, b.Key, null, 0, "not found on the bundling machine")));
                    break;
            }
        }
        return result;
    }

    private static IEnumerable<string> CaptureFiles(string dir) =>
        Directory.EnumerateFiles(dir)
            .Where(f => Path.GetFileName(f) == CaptureFormat.ManifestFile || CaptureFormat.IsChunkName(Path.GetFileName(f)))
            .Order(StringComparer.Ordinal);

    private static void AddBytes(ZipArchive zip, string name, byte[] bytes)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
        s.Write(bytes);
    }

    /// <summary>Adds a binary's debug subset (<see cref="BinarySubset"/>); returns the bytes it kept.</summary>
    private static long AddBinary(ZipArchive zip, string name, string file)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
        return BinarySubset.Write(file, s);
    }

    private static long AddFile(ZipArchive zip, string name, string file)
    {
        using (var s = zip.CreateEntry(name, CompressionLevel.Optimal).Open())
        using (var f = File.OpenRead(file))
            f.CopyTo(s);
        return new FileInfo(file).Length;
    }
}
