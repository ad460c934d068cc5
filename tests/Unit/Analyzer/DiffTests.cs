using Calltape.Capture.Format;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>calltape diff on hand-made captures: counts per function and the first differing call.</summary>
public class DiffTests
{
    /// <summary>computeE called <paramref name="calls"/> times with iterations = call number, except at
    /// <paramref name="changeAt"/> (1-based), where it is 999; the calls alternate between two threads.</summary>
    private static string Create(string name, int calls, int changeAt = 0)
    {
        var dir = Path.Combine(Repo.NewTempDir("diff"), name + ".ctape");
        using var w = CaptureWriter.Create(dir, SyntheticCapture.Header());
        var t = (ulong)SyntheticCapture.MonotonicBase;
        for (var i = 1; i <= calls; i++)
            w.WriteEvent(SyntheticCapture.ComputeE, t += 100, 42, 42 + (uint)(i % 2), [(ulong)(i == changeAt ? 999 : i)], false, [], [], []);
        SyntheticCapture.WriteLookup(w, t += 100, 7, "alice", true);
        w.Complete(t + 1, "done");
        return dir;
    }

    [Fact]
    public void FindsTheFirstChangedCall_AndNamesTheArgument()
    {
        var r = Cli.Run("diff", Create("a", 40), Create("b", 40, changeAt: 17), "--function", "main.computeE");
        Assert.True(r.Code == 0, r.Err);
        Assert.Matches(@"main\.computeE\s+40\s+40\s+0%", r.Out);
        Assert.Contains("(no durations", r.Out);
        Assert.Contains("main.computeE: first difference at call 17 (1-based, in entry order); differs: iterations", r.Out);
        Assert.Contains("A: args {\"iterations\":17}", r.Out);
        Assert.Contains("B: args {\"iterations\":999}", r.Out);
    }

    [Fact]
    public void ReportsCallsThatExistInOneRunOnly_AndAgreementOtherwise()
    {
        var a = Create("a", 30);
        var r = Cli.Run("diff", a, Create("b", 45), "--function", "main.computeE");
        Assert.True(r.Code == 0, r.Err);
        Assert.Matches(@"main\.computeE\s+30\s+45\s+\+50%", r.Out);
        Assert.Contains("main.computeE: the first 30 calls agree; call 31 exists only in B", r.Out);

        var same = Cli.Run("diff", a, a, "--function", "main.lookup");
        Assert.Contains("main.lookup: all 1 calls agree in arguments and return values", same.Out);
    }

    [Fact]
    public void UnknownFunction_IsOneLineNotFound()
    {
        var a = Create("a", 3);
        var r = Cli.Run("diff", a, a, "--function", "main.nope");
        Assert.Equal(3, r.Code);
        Assert.StartsWith("calltape: error: main.nope: no calls in either capture", r.ErrLines[^1]);
    }
}
