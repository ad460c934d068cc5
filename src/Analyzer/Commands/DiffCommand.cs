using System.CommandLine;
using System.Globalization;
using Calltape.Analyzer.Diff;
using Calltape.Analyzer.Export;
using Calltape.Analyzer.Query;
using Calltape.Capture;

namespace Calltape.Analyzer.Commands;

/// <summary>calltape diff A B [--function NAME]: what changed between a good run and a bad one.</summary>
public static class DiffCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var a = new Argument<string>("a") { Description = "The first (good) run: a capture directory, a bundle, or a converted directory." };
        var b = new Argument<string>("b") { Description = "The second (bad) run, in any of the same forms." };
        var function = new Option<string?>("--function") { Description = "Also find the first call of this function whose arguments or return value differ." };
        var binaries = CommonOptions.Binaries();
        var cmd = new Command("diff", "Compare two captures: per-function call counts and latency percentiles, and the first differing call of a function.")
        {
            a, b, function, binaries,
        };
        cmd.SetAction((pr, ct) => RunAsync(pr.GetValue(a)!, pr.GetValue(b)!, pr.GetValue(function), pr.GetValue(binaries), output, error, ct));
        return cmd;
    }

    internal static async Task<int> RunAsync(string a, string b, string? function, string? binaries, TextWriter output, TextWriter error,
        CancellationToken ct = default)
    {
        var (dirA, manifestA) = await ParquetSource.ResolveAsync(a, binaries, error, ct);
        var (dirB, manifestB) = await ParquetSource.ResolveAsync(b, binaries, error, ct);
        var spill = Directory.CreateTempSubdirectory("calltape-diff-").FullName;
        try
        {
            using var sa = CallSource.Open(dirA, manifestA, spill);
            // One DuckDB instance for both: the two streams of FirstDivergence sort within one memory limit.
            using var sb = CallSource.Open(dirB, manifestB, spill, shareWith: sa);
            var statsA = FunctionStats.Of(sa);
            var statsB = FunctionStats.Of(sb);
            output.WriteLine($"A: {a}");
            output.WriteLine($"B: {b}");
            output.WriteLine();
            StatsTable.Write(statsA, statsB, output);
            if (function is null) return 0;
            if (!statsA.ContainsKey(function) && !statsB.ContainsKey(function))
                throw new CalltapeException($"{function}: no calls in either capture (the function names are in the first column above)", ExitCodes.NotFound);
            output.WriteLine();
            WriteDivergence(function, FirstDivergence.Find(sa, sb, function), output);
            return 0;
        }
        finally
        {
            Directory.Delete(spill, recursive: true);
        }
    }

    private static void WriteDivergence(string function, (Divergence? Found, long Compared) r, TextWriter o)
    {
        if (r.Found is not { } d)
        {
            o.WriteLine($"{function}: all {r.Compared.ToString("N0", CultureInfo.InvariantCulture)} calls agree in arguments and return values");
            return;
        }
        var at = d.Index.ToString(CultureInfo.InvariantCulture);
        if (d.A is null || d.B is null)
        {
            o.WriteLine($"{function}: the first {r.Compared} calls agree; call {at} exists only in {(d.A is null ? "B" : "A")}");
            return;
        }
        o.WriteLine($"{function}: first difference at call {at} (1-based, in entry order); differs: {string.Join(", ", d.Fields)}");
        o.WriteLine($"  A: args {d.A.Args}{(d.A.Ret is null ? "" : "  ret " + d.A.Ret)}");
        o.WriteLine($"  B: args {d.B.Args}{(d.B.Ret is null ? "" : "  ret " + d.B.Ret)}");
    }
}
