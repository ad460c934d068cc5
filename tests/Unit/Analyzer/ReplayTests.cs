using System.Text.RegularExpressions;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>calltape replay on hand-made captures: nesting, leaves, gaps, filters, entry-only captures.</summary>
public class ReplayTests
{
    /// <summary>The text after the "|" of each line (the nesting and the call), and the duration column.</summary>
    private static List<(string Flow, string Duration, string Text)> Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l =>
        {
            var m = Regex.Match(l, @"^\s*\d+\.\d+s  (\[[^\]]*\])?\s*(.*?) \| (.*)$");
            if (m.Success) return (m.Groups[1].Value, m.Groups[2].Value.Trim(), m.Groups[3].Value);
            return ("", "", l[(l.IndexOf("---", StringComparison.Ordinal))..]);
        }).ToList();

    [Fact]
    public void NestsPerGoroutine_LeavesOnOneLine_GapAtItsTime()
    {
        var r = Cli.Run("replay", NestedCapture.Create());
        Assert.Equal("", r.Err);
        Assert.Equal(0, r.Code);
        var lines = Lines(r.Out);
        Assert.Equal(
        [
            "main.outer(n=3) {",
            "  main.inner(x=1) = 2",
            "  main.inner(x=2) = 4",
            "c_leaf(v=5) = 9",
            "--- 3 events lost here (probe 2 main.inner, cpu 0) ---",
            "} /* main.outer */ = 6",
        ], lines.Select(l => l.Text));
        Assert.Equal(["", "0.020 us", "0.030 us", "0.010 us", "", "0.100 us"], lines.Select(l => l.Duration));
        // The goroutine keeps one flow although it ran on threads 10, 11 and 12; its goid is known from the first return.
        Assert.Equal("[100 goid 7]", lines[1].Flow);
        Assert.Equal("[100 goid 7]", lines[5].Flow);
        Assert.Equal("[100 tid 20]", lines[3].Flow);
    }

    [Fact]
    public void Filters_Function_Tid_Since_Where_Limit()
    {
        var cap = NestedCapture.Create();
        string[] Texts(params string[] extra) => Lines(Cli.Run(["replay", cap, .. extra]).Out).Select(l => l.Text).ToArray();

        // Hidden callers do not indent: main.inner is shown at the top level.
        Assert.Equal(["main.inner(x=1) = 2", "main.inner(x=2) = 4", "--- 3 events lost here (probe 2 main.inner, cpu 0) ---"],
            Texts("--function", "main.in*"));
        Assert.Equal(["c_leaf(v=5) = 9", "--- 3 events lost here (probe 2 main.inner, cpu 0) ---"], Texts("--tid", "20"));
        // 1.14 us after the clock reading is T0 + 140: the first two calls were entered before.
        Assert.Equal(["main.inner(x=2) = 4", "c_leaf(v=5) = 9", "--- 3 events lost here (probe 2 main.inner, cpu 0) ---"],
            Texts("--since", "1140ns"));
        // A call open at --until stays an entry line: its return lies beyond.
        Assert.Equal(["main.outer(n=3) {", "  main.inner(x=1) {"], Texts("--until", "1.12us"));
        // A table without the column has no match; the others do.
        Assert.Equal(["main.inner(x=2) = 4", "--- 3 events lost here (probe 2 main.inner, cpu 0) ---"], Texts("--where", "x > 1"));
        Assert.Equal(["c_leaf(v=5) = 9", "--- 3 events lost here (probe 2 main.inner, cpu 0) ---"], Texts("--where", "v = 5"));
        // Gaps of functions the glob hides are hidden too.
        Assert.Equal(["c_leaf(v=5) = 9"], Texts("--function", "c_*"));
        Assert.Equal(["main.outer(n=3) {", "  main.inner(x=1) = 2"], Texts("--limit", "2"));
    }

    [Fact]
    public void EntryOnlyCapture_OneLinePerCall_NoDuration()
    {
        var r = Cli.Run("replay", SyntheticCapture.Create());
        Assert.Equal(0, r.Code);
        var lines = Lines(r.Out);
        Assert.Equal(16, lines.Count);
        Assert.All(lines, l => Assert.Equal("", l.Duration));
        Assert.Equal("--- 2 events lost here (probe 1 main.computeE, cpu 1) ---", lines[14].Text);
        Assert.Equal("main.lookup(id=10, name=\"héllo \\\"q\\\"\", ok=false)", lines[13].Text);
        Assert.Equal("main.computeE(iterations=1)", lines[0].Text);
        Assert.Equal("[42 tid 42]", lines[0].Flow);
        Assert.Equal("main.lookup(id=7, name=\"alice\", ok=true)", lines[10].Text);
        Assert.Equal("main.lookup(id=11, name=<unreadable memory (errno 14)>, ok=true)", lines[15].Text);
    }

    [Fact]
    public void ReturnsWithoutEntry_AndCallsThatNeverReturned_AreMarked()
    {
        var dir = Path.Combine(Calltape.Tests.Support.Repo.NewTempDir("replay"), "cut.ctape");
        using (var w = Calltape.Capture.Format.CaptureWriter.Create(dir, NestedCapture.Header()))
        {
            var goid = new byte[8];
            void Exit(int probe, ulong at, ulong r0) => w.WriteEvent(probe, NestedCapture.T0 + at, 100, 10, [r0, NestedCapture.G1, 0x7ff0], false, [],
                goid, [new Calltape.Capture.Format.DerefSlice(0, 8, 8, 0)]);
            Exit(3, 100, 2);                                                                                    // began before the capture
            w.WriteEvent(0, NestedCapture.T0 + 110, 100, 10, [3, NestedCapture.G1], false, [], [], []);      // outer, never returns
            w.WriteEvent(2, NestedCapture.T0 + 120, 100, 10, [1, NestedCapture.G1], false, [], [], []);
            Exit(3, 130, 2);
            w.WriteEvent(4, NestedCapture.T0 + 140, 100, 20, [5], false, [], [], []);                        // c_leaf, never returns
        }
        var r = Cli.Run("replay", dir);
        Assert.Equal(0, r.Code);
        Assert.Equal(
        [
            "} /* main.inner: entered before the capture */ = 2",
            "main.outer(n=3) {",
            "  main.inner(x=1) = 2",
            "c_leaf(v=5) /* no return */",
            "} /* main.outer: no return */",
        ], Lines(r.Out).Select(l => l.Text));
        Assert.Contains("warning: no trailer", r.Err);
        var report = Cli.Run("report", dir).Out;
        // Calls that never returned count as calls, without a time.
        Assert.Matches(@"main.outer\s+1\s+100.0%", report);
    }

    [Fact]
    public void BadArguments_OneLine_ExitCode2()
    {
        var cap = NestedCapture.Create();
        var r = Cli.Run("replay", cap, "--since", "soon");
        Assert.Equal(2, r.Code);
        Assert.Single(r.ErrLines);
        Assert.Contains("--since soon: not a time", r.Err);
        r = Cli.Run("replay", cap, "--where", "no_such_column = 1");
        Assert.Equal(2, r.Code);
        Assert.Contains("--where no_such_column = 1:", r.ErrLines[^1]);
    }
}
