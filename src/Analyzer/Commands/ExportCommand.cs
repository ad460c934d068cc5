using System.CommandLine;
using Calltape.Analyzer.Export;
using Calltape.Capture;

namespace Calltape.Analyzer.Commands;

/// <summary>calltape export CAPTURE [--perfetto F] [--folded F] [--csv F] [--jsonl F]: the calls in other tools' formats.</summary>
public static class ExportCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var input = new Argument<string>("input") { Description = "A capture directory, a bundle, or a directory made by calltape convert." };
        var perfetto = new Option<string?>("--perfetto") { Description = "Chrome trace-event JSON for ui.perfetto.dev or chrome://tracing: a slice per call, a track per thread or goroutine." };
        var folded = new Option<string?>("--folded") { Description = "Folded stacks for flame graphs (flamegraph.pl, speedscope): the recorded user stacks weighted by calls when the capture has them (calltape-record --stack), else the call nesting weighted by self time in ns." };
        var csv = new Option<string?>("--csv") { Description = "The calls as CSV." };
        var jsonl = new Option<string?>("--jsonl") { Description = "The calls as JSON Lines." };
        var binaries = CommonOptions.Binaries();
        var cmd = new Command("export", "Write the calls as a Perfetto trace, folded stacks, CSV or JSON Lines, in bounded memory.")
        {
            input, perfetto, folded, csv, jsonl, binaries,
        };
        cmd.SetAction((pr, ct) => RunAsync(pr.GetValue(input)!,
            new ExportTargets(pr.GetValue(perfetto), pr.GetValue(folded), pr.GetValue(csv), pr.GetValue(jsonl)), pr.GetValue(binaries), output, error, ct));
        return cmd;
    }

    internal static async Task<int> RunAsync(string input, ExportTargets targets, string? binaries, TextWriter output, TextWriter error,
        CancellationToken ct = default)
    {
        if (targets is { Perfetto: null, Folded: null, Csv: null, JsonLines: null })
            throw new CalltapeException("nothing to export: give at least one of --perfetto, --folded, --csv, --jsonl", ExitCodes.BadInput);
        foreach (var lines in await Exporter.RunAsync(input, binaries, targets, error, ct))
            output.WriteLine(lines);
        return 0;
    }
}
