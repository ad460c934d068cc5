using System.Text.RegularExpressions;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>calltape report on hand-made captures: self time from nesting, completeness from losses, grouping and sorting.</summary>
public class ReportTests
{
    private static List<string[]> Rows(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Regex.Split(l.Trim(), @"\s{2,}")).ToList();

    [Fact]
    public void SelfTimeSubtractsChildrenOnTheSameGoroutine_CompletenessFromDrops()
    {
        var r = Cli.Run("report", NestedCapture.Create());
        Assert.Equal("", r.Err);
        var rows = Rows(r.Out);
        Assert.Equal(["function", "calls", "total", "self", "mean", "p50", "p90", "p99", "max", "complete"], rows[0]);
        // outer: 100 ns, of which its two inner calls took 20 + 30.
        Assert.Equal(["main.outer", "1", "0.100 us", "0.050 us", "0.100 us", "0.100 us", "0.100 us", "0.100 us", "0.100 us", "100.0%"], rows[1]);
        // inner: 20 and 30 ns; p90 = 20 + 0.9 * 10 (linear interpolation, as quantile_cont); 2 seen, 3 dropped.
        Assert.Equal(["main.inner", "2", "0.050 us", "0.050 us", "0.025 us", "0.025 us", "0.029 us", "0.030 us", "0.030 us", "40.0%"], rows[2]);
        Assert.Equal(["c_leaf", "1", "0.010 us", "0.010 us"], rows[3][..4]);
    }

    [Fact]
    public void SortAndGroup()
    {
        var cap = NestedCapture.Create();
        var rows = Rows(Cli.Run("report", cap, "--sort", "calls").Out);
        Assert.Equal("main.inner", rows[1][0]);
        rows = Rows(Cli.Run("report", cap, "--by", "arg:x").Out);
        Assert.Equal(["function", "x", "calls"], rows[0][..3]);
        Assert.Contains(rows, row => row[..3].SequenceEqual(["main.inner", "2", "1"]));
        Assert.Contains(rows, row => row[..3].SequenceEqual(["main.inner", "1", "1"]));
        Assert.Contains(rows, row => row[..3].SequenceEqual(["main.outer", "-", "1"]));
        rows = Rows(Cli.Run("report", cap, "--by", "tid").Out);
        Assert.Contains(rows, row => row[..3].SequenceEqual(["main.inner", "11", "1"]));
        var bad = Cli.Run("report", cap, "--by", "arg:nope");
        Assert.Equal(2, bad.Code);
        Assert.Single(bad.ErrLines);
    }

    [Fact]
    public void EntryOnly_CallsAndCompleteness_TimeColumnsBlank()
    {
        var r = Cli.Run("report", SyntheticCapture.Create());
        Assert.Equal(0, r.Code);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var rows = Rows(r.Out);
        // computeE: 10 seen, 2 dropped on cpu 1; rounded down so a loss never reads as 100%.
        Assert.Equal(["main.computeE", "10", "83.3%"], rows[1]);
        Assert.Equal(["main.lookup", "5", "100.0%"], rows[2]);
        Assert.Equal(lines[0].Length, lines[1].Length);
    }
}
