using Calltape.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Calltape.Tests.Notebooks;

/// <summary>Runs notebooks/incident-triage.ipynb headless, the way a user's editor would, on known input.</summary>
public sealed class NotebookTests(ITestOutputHelper output)
{
    // The first run restores DuckDB and ScottPlot into the NuGet cache; later runs take seconds.
    private static readonly TimeSpan CellTimeout = TimeSpan.FromMinutes(5);

    private static string Notebook => Path.Combine(Repo.Root, "notebooks", "incident-triage.ipynb");

    [Fact]
    public async Task IncidentTriage_RunsOnParquetInTheConvertSchema()
    {
        var parquet = Repo.NewTempDir("nb-parquet");
        SyntheticCapture.WriteParquet(parquet);
        var outDir = Repo.NewTempDir("nb-out");

        var runs = await RunWithEnvAsync(("CALLTAPE_PARQUET", parquet), ("CALLTAPE_OUT", outDir));

        AssertReport(runs, outDir);
    }

    // The real path: a capture written by the capture library, converted by the notebook itself through the built
    // `calltape convert`. Needs src/Analyzer built (Debug), as the solution build before the tests does.
    [Fact]
    public async Task IncidentTriage_RunsOnConvertedCapture()
    {
        var capture = Path.Combine(Repo.NewTempDir("nb-capture"), "synthetic.ctape");
        SyntheticCapture.WriteCapture(capture);
        var outDir = Repo.NewTempDir("nb-out");
        var runs = await RunWithEnvAsync(("CALLTAPE_CAPTURE", capture), ("CALLTAPE_BIN", Tools.Analyzer), ("CALLTAPE_OUT", outDir));

        AssertReport(runs, outDir);
    }

    // What a user does: record a real program with uprobes (root), then open the capture in the notebook.
    [Fact]
    public async Task IncidentTriage_RunsOnARecordedCapture()
    {
        var capture = Path.Combine(Repo.NewTempDir("nb-recorded"), "recorded.ctape");
        var calls = 250 + Random.Shared.Next(100);
        var rec = Tools.Run(Tools.Recorder, ["-o", capture, "-p", "main.record", "-q", "--", Fixtures.BuildGo("args"), "-n", calls.ToString()]);
        Assert.True(rec.ExitCode == 0, rec.ToString());
        var outDir = Repo.NewTempDir("nb-out");

        var runs = await RunWithEnvAsync(("CALLTAPE_CAPTURE", capture), ("CALLTAPE_BIN", Tools.Analyzer),
            ("CALLTAPE_FUNCTION", "main.record"), ("CALLTAPE_ARG", "id"), ("CALLTAPE_OUT", outDir));

        var text = string.Join("\n", runs.SelectMany(r => r.Outputs));
        Assert.Contains($"{calls} calls in total, {calls} to main.record", text);
        var png = Assert.Single(Directory.GetFiles(outDir, "hist-*.png"));
        Assert.True(new FileInfo(png).Length > 1000, $"{png} is too small to be a rendered chart");
    }

    // A capture with durations (--returns): the top-by-time table and the chosen function's latency histogram.
    [Fact]
    public async Task IncidentTriage_ShowsTimeAndLatencyOfARecordingWithReturns()
    {
        var capture = Path.Combine(Repo.NewTempDir("nb-returns"), "returns.ctape");
        var n = 30 + Random.Shared.Next(20);
        var rec = Tools.Run(Tools.Recorder, ["-o", capture, "-p", "main.add", "-p", "main.divmod", "-p", "main.fib", "--returns", "-q",
            "--", Fixtures.BuildGo("returns"), "-n", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(rec.ExitCode == 0, rec.ToString());
        var outDir = Repo.NewTempDir("nb-out");

        var runs = await RunWithEnvAsync(("CALLTAPE_CAPTURE", capture), ("CALLTAPE_BIN", Tools.Analyzer),
            ("CALLTAPE_FUNCTION", "main.add"), ("CALLTAPE_ARG", "a"), ("CALLTAPE_OUT", outDir));

        var text = string.Join("\n", runs.SelectMany(r => r.Outputs));
        Assert.Contains("top functions by time", text);
        Assert.Contains("total_ns", text);
        Assert.DoesNotContain("no call has a duration", text);
        var latency = Path.Combine(outDir, "latency-main.add.png");
        Assert.True(File.Exists(latency), $"no {latency}");
        Assert.True(new FileInfo(latency).Length > 1000, $"{latency} is too small to be a rendered chart");
        Assert.True(File.Exists(Path.Combine(outDir, "timeline.png")), "no timeline.png");
    }

    private void AssertReport(IReadOnlyList<CellRun> runs, string outDir)
    {
        var text = string.Join("\n", runs.SelectMany(r => r.Outputs));
        // The notebook's own asserts already threw on empty or inconsistent data; these check it reports the known input.
        Assert.Contains("SELECT function, count(*)", text);
        Assert.Contains($"{2 * SyntheticCapture.ComputeCalls} calls in total, {SyntheticCapture.ComputeCalls} to {SyntheticCapture.ComputeE}", text);
        var png = Assert.Single(Directory.GetFiles(outDir, "hist-*.png"));
        Assert.True(new FileInfo(png).Length > 1000, $"{png} is too small to be a rendered chart");
    }

    private async Task<IReadOnlyList<CellRun>> RunWithEnvAsync(params (string Name, string Value)[] env)
    {
        // The notebook reads its inputs from the environment, as it does for a user. Every input is set (or cleared)
        // here so a variable left in the developer's shell cannot change what the test runs on.
        string[] all = ["CALLTAPE_PARQUET", "CALLTAPE_CAPTURE", "CALLTAPE_BIN", "CALLTAPE_FUNCTION", "CALLTAPE_ARG", "CALLTAPE_OUT"];
        var saved = all.ToDictionary(n => n, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var n in all) Environment.SetEnvironmentVariable(n, null);
            foreach (var (n, v) in env) Environment.SetEnvironmentVariable(n, v);
            var started = System.Diagnostics.Stopwatch.StartNew();
            var runs = await NotebookRunner.RunAsync(Notebook, CellTimeout);
            output.WriteLine($"notebook ran {runs.Count} code cells in {started.Elapsed.TotalSeconds:F1} s");
            foreach (var r in runs)
                foreach (var o in r.Outputs)
                    if (!o.StartsWith("<div>", StringComparison.Ordinal)) // skip the package-install progress HTML
                        output.WriteLine($"[cell {r.Index}] {(o.Length > 400 ? o[..400] + "…" : o)}");
            return runs;
        }
        finally
        {
            foreach (var (n, v) in saved) Environment.SetEnvironmentVariable(n, v);
        }
    }
}
