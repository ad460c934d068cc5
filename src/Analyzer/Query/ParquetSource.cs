using Calltape.Analyzer.Commands;
using Calltape.Analyzer.Conversion;
using Calltape.Analyzer.Inputs;
using Calltape.Capture;
using Calltape.Capture.Format;

namespace Calltape.Analyzer.Query;

/// <summary>Turns query's input (a capture, a bundle or a converted directory) into a converted directory, converting on demand.</summary>
/// <remarks>
/// A capture's conversion is cached beside it (CAPTURE.parquet) and reused while its calltape.json (written last, so
/// present only when complete) is newer than the capture's manifest and every chunk and comes from this converter
/// version. A capture still being recorded keeps growing chunks, so its cache is rebuilt on the next query.
/// </remarks>
internal static class ParquetSource
{
    public static async Task<(string Dir, ConversionManifest Manifest)> ResolveAsync(string input, string? binaries, TextWriter error,
        CancellationToken ct = default)
    {
        if (Directory.Exists(input) && !IsCapture(input))
        {
            var m = ConversionManifest.TryRead(input);
            if (m is not null) return (input, m);
        }
        if (Directory.Exists(input) && !IsCapture(input))
            throw new CalltapeException($"{input}: neither a capture nor a directory made by calltape convert", ExitCodes.CorruptCapture);

        // A bundle is read from its extraction, whose capture.parquet/ came with it and is reused while fresh.
        var capture = CaptureInput.Open(input, binaries);
        var cache = ConvertCommand.DefaultOutput(capture.CaptureDir);
        if (IsFresh(capture.CaptureDir, cache, out var cached)) return (cache, cached!);
        var result = await ConvertCommand.ConvertAsync(capture.CaptureDir, cache, capture.Binaries, error, ParquetFiles.DefaultRowGroupRows, ct);
        error.WriteLine(ConvertCommand.Summary(result));
        return (cache, ConversionManifest.TryRead(cache)
            ?? throw new InvalidOperationException($"conversion of {input} left no {ConversionManifest.FileName}"));
    }

    /// <summary>A directory with a capture manifest or chunk files; anything else is left for CaptureReader to reject.</summary>
    private static bool IsCapture(string dir) =>
        File.Exists(Path.Combine(dir, CaptureFormat.ManifestFile))
        || Directory.EnumerateFiles(dir).Any(f => CaptureFormat.IsChunkName(Path.GetFileName(f)));

    private static bool IsFresh(string capture, string cache, out ConversionManifest? manifest)
    {
        manifest = null;
        if (!Directory.Exists(capture) || !Directory.Exists(cache)) return false;
        ConversionManifest? m;
        try
        {
            m = ConversionManifest.TryRead(cache);
        }
        catch (CalltapeException)
        {
            return false; // a damaged cache is rebuilt, not reported
        }
        if (m is null || m.Version != ConversionManifest.CurrentVersion) return false;
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(cache, ConversionManifest.FileName));
        var inputs = Directory.EnumerateFiles(capture)
            .Where(f => CaptureFormat.IsChunkName(Path.GetFileName(f)) || Path.GetFileName(f) == CaptureFormat.ManifestFile);
        if (inputs.Any(f => File.GetLastWriteTimeUtc(f) >= stamp)) return false;
        if (m.Tables.Any(t => !File.Exists(Path.Combine(cache, t.File)))) return false;
        manifest = m;
        return true;
    }
}
