using System.CommandLine;
using Calltape.Analyzer.Bundles;

namespace Calltape.Analyzer.Commands;

/// <summary>calltape bundle CAPTURE -o FILE [--redact NAME|/REGEX/ ...]: one file someone else can analyze anywhere.</summary>
public static class BundleCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var capture = new Argument<string>("capture") { Description = "The capture directory (made by calltape-record) or a bundle." };
        var outFile = new Option<string>("--output", "-o") { Description = "The bundle file to write, e.g. bug-1234.ctape.", Required = true };
        var redact = new Option<string[]>("--redact")
        {
            Description = "Replace the values of parameters with this name (or matching /REGEX/) by \"redacted\" in everything bundled (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var binaries = CommonOptions.Binaries();
        var cmd = new Command("bundle", "Write one file holding the capture, its Parquet tables, the traced binaries and a SUMMARY.md.")
        {
            capture, outFile, redact, binaries,
        };
        cmd.SetAction((pr, ct) => RunAsync(pr.GetValue(capture)!, pr.GetValue(outFile)!, pr.GetValue(redact) ?? [], pr.GetValue(binaries), output, error, ct));
        return cmd;
    }

    public static async Task<int> RunAsync(string capture, string outFile, IReadOnlyList<string> redact, string? binaries, TextWriter output,
        TextWriter error, CancellationToken ct = default)
    {
        var r = await BundleWriter.WriteAsync(capture, outFile, redact, binaries, error, ct);
        output.WriteLine($"bundled {capture} into {r.Output}: {Human(r.BundleBytes)} (capture {Human(r.CaptureBytes)}, Parquet {Human(r.ParquetBytes)}, "
            + $"binaries {Human(r.BinaryBytes)} before compression); {r.BinariesIncluded} binaries included, {r.BinariesMissing} missing; "
            + $"redacted: {(r.Redacted.Count == 0 ? "nothing" : string.Join(" ", r.Redacted))}");
        output.WriteLine($"open it with: calltape info {outFile}");
        return 0;
    }

    private static string Human(long bytes) => bytes switch
    {
        < 1L << 10 => $"{bytes} B",
        < 1L << 20 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes / 1048576.0:0.0} MiB",
    };
}
