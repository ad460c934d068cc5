using Calltape.Capture.Model;
using Calltape.Capture.Pairing;
using Xunit;

namespace Calltape.Tests.Unit.Pairing;

/// <summary>Exit-to-entry matching: nesting, interleaved goroutines, unmatched exits, abandoned and evicted entries.</summary>
public class CallPairerTests
{
    private static readonly CallKey G1 = new(100, 0xc000001000), G2 = new(100, 0xc000002000);

    [Fact]
    public void RecursionNests_InnermostEntryClosesFirst()
    {
        var p = new CallPairer<string>();
        var abandoned = new List<string>();
        p.Enter(G1, 0, "fib(3)", out _);
        p.Enter(G1, 0, "fib(2)", out _);
        p.Enter(G1, 0, "fib(1)", out _);
        Assert.True(p.TryExit(G1, 0, out var a, abandoned));
        Assert.True(p.TryExit(G1, 0, out var b, abandoned));
        p.Enter(G1, 0, "fib(1)'", out _);
        Assert.True(p.TryExit(G1, 0, out var c, abandoned));
        Assert.True(p.TryExit(G1, 0, out var d, abandoned));
        Assert.Equal(new[] { "fib(1)", "fib(2)", "fib(1)'", "fib(3)" }, new[] { a, b, c, d });
        Assert.Empty(abandoned);
        Assert.Equal((4L, 0L, 0L, 0L), (p.Paired, p.UnmatchedExits, p.Unclosed, p.Open));
    }

    [Fact]
    public void InterleavedGoroutines_PairByKeyNotByOrder()
    {
        // Two goroutines run the same function; their events interleave (and may share a thread: the key is g, not tid).
        var p = new CallPairer<string>();
        var abandoned = new List<string>();
        p.Enter(G1, 7, "g1-outer", out _);
        p.Enter(G2, 7, "g2-outer", out _);
        p.Enter(G1, 7, "g1-inner", out _);
        Assert.True(p.TryExit(G2, 7, out var x, abandoned));
        Assert.Equal("g2-outer", x);
        Assert.True(p.TryExit(G1, 7, out x, abandoned));
        Assert.Equal("g1-inner", x);
        Assert.True(p.TryExit(G1, 7, out x, abandoned));
        Assert.Equal("g1-outer", x);
        Assert.False(p.TryExit(G2, 7, out _, abandoned));
        Assert.Equal((3L, 1L), (p.Paired, p.UnmatchedExits));
    }

    [Fact]
    public void ExitOfAnOuterCall_AbandonsInnerCallsThatNeverReturned()
    {
        // f calls g, g panics, f recovers and returns: g's entry is open when f's exit arrives.
        var p = new CallPairer<string>();
        var abandoned = new List<string>();
        p.Enter(G1, 1, "f", out _);
        p.Enter(G1, 2, "g", out _);
        p.Enter(G1, 3, "h", out _);
        Assert.True(p.TryExit(G1, 1, out var f, abandoned));
        Assert.Equal("f", f);
        Assert.Equal(new[] { "h", "g" }, abandoned);
        Assert.Equal((1L, 2L, 0L), (p.Paired, p.Unclosed, p.Open));
    }

    [Fact]
    public void ExitWithNoOpenEntryOfItsFunction_IsCountedAndLeavesOthersOpen()
    {
        var p = new CallPairer<string>();
        var abandoned = new List<string>();
        p.Enter(G1, 1, "f", out _);
        Assert.False(p.TryExit(G1, 2, out _, abandoned));
        Assert.False(p.TryExit(G2, 1, out _, abandoned));
        Assert.Equal((2L, 1L), (p.UnmatchedExits, p.Open));
        Assert.Equal(new[] { "f" }, p.Drain());
        Assert.Equal((1L, 0L), (p.Unclosed, p.Open));
    }

    [Fact]
    public void DepthIsBounded_OutermostIsGivenUp()
    {
        var p = new CallPairer<int>(maxDepth: 3);
        var evicted = new List<int>();
        for (var i = 0; i < 5; i++)
            if (p.Enter(G1, 0, i, out var e)) evicted.Add(e);
        Assert.Equal(new[] { 0, 1 }, evicted);
        Assert.Equal((3L, 2L), (p.Open, p.Unclosed));
    }

    [Fact]
    public void KeyOf_GoUsesTheGPointer_OthersTheThread()
    {
        var go = new ProbeSpec(0, "main.f", 0, 0, 0, 0, AbiKind.GoRegs, new CapturePlan([Reg.Rax, Reg.R14], 0, []), []);
        var c = go with { Abi = AbiKind.SysV, Plan = new CapturePlan([Reg.Rdi], 0, []) };
        var ev1 = new RawEvent(0, 1, 100, 5, [1, 0xc000001000], null, []);
        var ev2 = new RawEvent(0, 2, 100, 6, [2, 0xc000001000], null, []);
        Assert.Equal(CallKey.Of(go, ev1), CallKey.Of(go, ev2)); // same goroutine on two threads
        Assert.Equal(new CallKey(100, 5), CallKey.Of(c, ev1 with { Registers = [1] }));
    }
}
