using Calltape.Capture;
using Calltape.Capture.Model;
using Calltape.Recorder.Bpf;
using Calltape.Recorder.Planning;
using Calltape.Recorder.Session;
using Calltape.Tests.Unit.Format;
using Xunit;

namespace Calltape.Tests.Unit.Stacks;

/// <summary>calltape-record --stack [GLOB] and --stack-depth: which probes walk the user stack, and what BPF is told.</summary>
public class StackRequestTests
{
    private static readonly ProbeSpec[] Probes =
    [
        SampleCaptures.Record(0) with { Function = "main.a" },
        SampleCaptures.Record(1) with { Function = "main.b" },
        SampleCaptures.Record(2) with { Function = "main.b", Kind = ProbeKind.Exit, EntryProbe = 1 },
    ];

    [Fact]
    public void WithoutStackNothingChanges_AndTheRegsOnlyFastPathStays()
    {
        Assert.Same(Probes, StackRequest.Apply(Probes, null, 64));
        var regsOnly = CapturePlan.RawRegisters([Reg.Rax]);
        Assert.NotEqual(0UL, BpfProgram.CookieOf(7, regsOnly) & BpfLimits.CookieRegsOnly);
        Assert.Equal(0UL, BpfProgram.CookieOf(7, regsOnly with { UserStack = 8 }) & BpfLimits.CookieRegsOnly);
    }

    [Fact]
    public void StackAloneAppliesToEveryEntryProbe_NeverToExits()
    {
        var p = StackRequest.Apply(Probes, [], 32);
        Assert.Equal([32, 32, 0], p.Select(x => x.Plan.UserStack));
        Assert.Equal(32, PlanEncoder.Encode(p[0].Plan, p[0].ProbeAddress).UstackDepth);
    }

    [Fact]
    public void AGlobSelectsFunctions_AndAGlobThatMatchesNothingIsAnError()
    {
        Assert.Equal([0, 16, 0], StackRequest.Apply(Probes, ["*.b"], 16).Select(x => x.Plan.UserStack));
        var e = Assert.Throws<CalltapeException>(() => StackRequest.Apply(Probes, ["main.zz*"], 16));
        Assert.Contains("--stack main.zz*", e.Message);
    }
}
