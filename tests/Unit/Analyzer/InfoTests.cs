using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

public class InfoTests
{
    [Fact]
    public void Info_lists_probes_binaries_span_counts_loss_and_clean_end()
    {
        var cap = SyntheticCapture.Create();
        var r = Cli.Run("info", cap);
        Assert.Equal(0, r.Code);
        Assert.Equal("", r.Err);
        var o = r.Out;
        Assert.Contains("id          cap-0001", o);
        Assert.Contains("host        testhost  (kernel 6.18.0-test)", o);
        Assert.Contains("ended       cleanly: target exited (15 events per the trailer)", o);
        Assert.Contains("events      15", o);
        Assert.Contains($"first       2023-11-14T22:13:20.000001100Z", o);
        Assert.Contains("duration    1.4 µs", o);
        Assert.Contains("  [0] /nonexistent/calc", o);
        Assert.Contains("gnu build-id 0123456789abcdef   go build-id go-build-id/x", o);
        Assert.Contains("on disk: missing", o);
        Assert.Contains("  [1] main.computeE", o);
        Assert.Contains("address 0x4a1000   probe +0x4   file offset 0xa1004   abi go-regs", o);
        Assert.Contains("param  iterations int64 @rax", o);
        Assert.Contains("param  name string @rbx,rcx deref#0", o);
        Assert.Contains("events 10   hits 12   drops 2 (16.67% lost)", o);
        Assert.Contains("events 5   hits 5   drops 0 (0% lost)", o);
    }

    [Fact]
    public void Info_says_when_a_capture_was_cut()
    {
        var cap = SyntheticCapture.Create(complete: false);
        var r = Cli.Run("info", cap);
        Assert.Equal(0, r.Code);
        Assert.Contains("ended       CUT: no trailer", r.Out);
        Assert.Contains("events      15", r.Out);
    }
}
