using System.Globalization;
using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>calltape export and diff on real recordings made with --returns in launch mode.</summary>
public class ExportDiffTests
{
    [Fact]
    public void Export_PerfettoOfARecordedGoCapture_IsAValidTraceWithASlicePerReturnedCall()
    {
        var bin = Fixtures.BuildGo("returns");
        var work = Repo.NewTempDir("export-e2e");
        var dir = Path.Combine(work, "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "--returns", "-q", "-p", "main.add", "-p", "main.fib", "-p", "main.greet", "--", bin, "-n", "29"]); // fib(29 % 12) recurses
        Assert.True(r.ExitCode == 0, r.ToString());

        var json = Path.Combine(work, "trace.json");
        var folded = Path.Combine(work, "stacks.folded");
        var x = Tools.Run(Tools.Analyzer, ["export", dir, "--perfetto", json, "--folded", folded]);
        Assert.True(x.ExitCode == 0, x.ToString());
        E2E.NoStackTrace(x);

        var events = TraceEventFormat.Validate(json);
        var counts = E2E.QueryCsv(dir, "SELECT count(*), count(duration_ns) FROM calls")[0].Select(long.Parse).ToArray();
        Assert.Equal(counts[1], events.Count(e => e.Ph == "X"));
        Assert.Equal(counts[0] - counts[1], events.Count(e => e.Ph == "i"));
        Assert.True(counts[1] > 29, $"only {counts[1]} calls returned");
        // Every call ran on the main goroutine (goid 1): one goroutine track, named.
        Assert.All(events.Where(e => e.Ph == "X"), e => Assert.Equal((long)(1u << 30) + 1, e.Tid));
        Assert.Contains(events, e => e is { Ph: "M", Name: "thread_name" } && e.Args!.Value.GetProperty("name").GetString() == "goroutine 1");
        var greet = events.First(e => e is { Ph: "X", Name: "main.greet" });
        Assert.True(greet.Args!.Value.GetProperty("args").TryGetProperty("name", out _), "greet's arguments are in the slice args");
        Assert.True(greet.Args!.Value.GetProperty("ret").TryGetProperty("r0", out _), "greet's result is in the slice args");

        // fib recurses, so the nesting from pairing shows fib inside fib.
        var lines = File.ReadAllLines(folded);
        Assert.Contains(lines, l => l.StartsWith("main.fib;main.fib ", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.True(long.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture) > 0, l));
    }

    [Fact]
    public void Diff_FindsThePlantedDivergence_AtCall517()
    {
        var bin = Fixtures.BuildGo("changeat");
        var work = Repo.NewTempDir("diff-e2e");
        var good = Path.Combine(work, "good.ctape");
        var bad = Path.Combine(work, "bad.ctape");
        string[] probes = ["--returns", "-q", "-p", "main.step", "-p", "main.settle"];
        var r1 = Tools.Run(Tools.Recorder, ["-o", good, .. probes, "--", bin, "-n", "1000"]);
        Assert.True(r1.ExitCode == 0, r1.ToString());
        var r2 = Tools.Run(Tools.Recorder, ["-o", bad, .. probes, "--", bin, "-n", "1000", "-change-at", "517"]);
        Assert.True(r2.ExitCode == 0, r2.ToString());

        // B as a bundle: diff takes either form.
        var bundle = Path.Combine(work, "bad.zip");
        Assert.Equal(0, Tools.Run(Tools.Analyzer, ["bundle", bad, "-o", bundle]).ExitCode);
        var d = Tools.Run(Tools.Analyzer, ["diff", good, bundle, "--function", "main.step"]);
        Assert.True(d.ExitCode == 0, d.ToString());
        E2E.NoStackTrace(d);
        Assert.Matches(@"main\.step\s+1,000\s+1,000\s+0%", d.Stdout);
        Assert.Matches(@"main\.settle\s+10\s+10\s+0%", d.Stdout);
        Assert.Contains("p99 A", d.Stdout);
        // i*weight + len(key): weight 517 % 7 = 6 in the good run, -1 in the bad one; key is keys[517 % 4] = "bravo".
        Assert.Contains("main.step: first difference at call 517 (1-based, in entry order); differs: weight, ret.r0", d.Stdout);
        Assert.Contains("A: args {\"i\":517,\"key\":\"bravo\",\"weight\":6}  ret {\"r0\":3107}", d.Stdout);
        Assert.Contains("B: args {\"i\":517,\"key\":\"bravo\",\"weight\":-1}  ret {\"r0\":-512}", d.Stdout);

        // The function that kept its arguments agrees all the way (settle's totals differ only after call 517).
        var same = Tools.Run(Tools.Analyzer, ["diff", good, good, "--function", "main.step"]);
        Assert.Contains("main.step: all 1,000 calls agree", same.Stdout);
        var missing = Tools.Run(Tools.Analyzer, ["diff", good, bad, "--function", "main.nothing"]);
        Assert.Equal(3, missing.ExitCode);
        Assert.StartsWith("calltape: error: main.nothing: no calls in either capture", missing.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
    }
}
