using Calltape.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Calltape.Tests.Notebooks;

/// <summary>Runs notebooks/compare-runs.ipynb headless on two recordings of a program that diverges at a known call.</summary>
public sealed class CompareRunsNotebookTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CellTimeout = TimeSpan.FromMinutes(5);

    private static string Notebook => Path.Combine(Repo.Root, "notebooks", "compare-runs.ipynb");

    // What a user does: record the good and the bad run with --returns (root), then open both in the notebook.
    [Fact]
    public async Task CompareRuns_FindsTheChangedCallAndPlotsBothRuns()
    {
        var bin = Fixtures.BuildGo("changeat");
        var work = Repo.NewTempDir("nb-compare");
        var good = Path.Combine(work, "good.ctape");
        var bad = Path.Combine(work, "bad.ctape");
        string[] probes = ["--returns", "-q", "-p", "main.step", "-p", "main.settle"];
        var r1 = Tools.Run(Tools.Recorder, ["-o", good, .. probes, "--", bin, "-n", "800"]);
        Assert.True(r1.ExitCode == 0, r1.ToString());
        var r2 = Tools.Run(Tools.Recorder, ["-o", bad, .. probes, "--", bin, "-n", "800", "-change-at", "517"]);
        Assert.True(r2.ExitCode == 0, r2.ToString());
        var outDir = Repo.NewTempDir("nb-compare-out");

        var env = new (string, string?)[]
        {
            ("CALLTAPE_A", good), ("CALLTAPE_B", bad), ("CALLTAPE_BIN", Tools.Analyzer), ("CALLTAPE_FUNCTION", "main.step"),
            ("CALLTAPE_OUT", outDir),
        };
        var saved = env.Select(e => (e.Item1, Environment.GetEnvironmentVariable(e.Item1))).ToList();
        IReadOnlyList<CellRun> runs;
        try
        {
            foreach (var (n, v) in env) Environment.SetEnvironmentVariable(n, v);
            runs = await NotebookRunner.RunAsync(Notebook, CellTimeout);
        }
        finally
        {
            foreach (var (n, v) in saved) Environment.SetEnvironmentVariable(n, v);
        }
        foreach (var r in runs)
            foreach (var o in r.Outputs)
                if (!o.StartsWith("<div>", StringComparison.Ordinal) && !o.StartsWith("<img", StringComparison.Ordinal))
                    output.WriteLine($"[cell {r.Index}] {(o.Length > 400 ? o[..400] + "…" : o)}");

        var text = string.Join("\n", runs.SelectMany(r => r.Outputs));
        Assert.Contains("FULL OUTER JOIN b USING (function)", text); // the SQL is shown
        Assert.Contains("main.step: first difference at call 517", text);
        Assert.Contains("\"weight\":-1", text);
        foreach (var png in new[] { "compare-calls.png", "compare-p50.png", "compare-p99.png" })
        {
            var path = Path.Combine(outDir, png);
            Assert.True(File.Exists(path) && new FileInfo(path).Length > 1000, $"{png} was not rendered");
        }
    }
}
