using Calltape.Capture;
using Calltape.Capture.Model;
using Calltape.Capture.Redaction;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>The plan rewrite behind --redact: what leaves the plan, what stays, and how records follow.</summary>
public class RedactorTests
{
    private static readonly TypeDesc Str = new("string", TypeKind.String, 16);
    private static readonly TypeDesc Bool = new("bool", TypeKind.Bool, 1);
    private static readonly TypeDesc I64 = new("int64", TypeKind.Int, 8);

    [Fact]
    public void A_redacted_string_loses_its_registers_and_dereference_and_later_derefs_are_renumbered()
    {
        var probe = new ProbeSpec(3, "main.login", 0, 0x1000, 4, 0x1004, AbiKind.GoRegs,
            new CapturePlan([Reg.Rax, Reg.Rbx, Reg.Rcx, Reg.Rdi, Reg.Rsi], 0,
                [new DerefSpec(Source.Of(Reg.Rax), Source.Of(Reg.Rbx), 64), new DerefSpec(Source.Of(Reg.Rcx), Source.Of(Reg.Rdi), 64)]),
            [
                new ParamSpec("password", Str, [Source.Of(Reg.Rax), Source.Of(Reg.Rbx)], 0),
                new ParamSpec("user", Str, [Source.Of(Reg.Rcx), Source.Of(Reg.Rdi)], 1),
                new ParamSpec("admin", Bool, [Source.Of(Reg.Rsi)]),
            ]);
        var (plan, unmatched) = Redactor.Plan([probe], [RedactRule.Parse("/pass/")]);
        Assert.Empty(unmatched);
        var r = plan[0];
        Assert.Equal([Reg.Rcx, Reg.Rdi, Reg.Rsi], r.Probe.Plan.Registers);
        Assert.Single(r.Probe.Plan.Derefs);
        Assert.Equal(("redacted", -1), (r.Probe.Params[0].NotCaptured, r.Probe.Params[0].Deref));
        Assert.Empty(r.Probe.Params[0].Pieces);
        Assert.Equal(0, r.Probe.Params[1].Deref);

        var ev = new RawEvent(3, 10, 1, 1, [0x7000, 6, 0x8000, 5, 1], null,
            [new DerefData("hunter"u8.ToArray(), 6, 0), new DerefData("alice"u8.ToArray(), 5, 0)]);
        var red = r.Apply(ev);
        Assert.Equal([0x8000UL, 5, 1], red.Registers);
        Assert.Equal("alice"u8.ToArray(), Assert.Single(red.Derefs).Data);
    }

    [Fact]
    public void Stack_arguments_are_zeroed_only_over_their_own_bytes()
    {
        // Go ABI0 packs: two bools share the eightbyte at sp+8.
        var probe = new ProbeSpec(1, "main.f", 0, 0x1000, 0, 0x1000, AbiKind.GoStack, new CapturePlan([], 24, []),
            [
                new ParamSpec("a", Bool, [Source.StackAt(8)]),
                new ParamSpec("b", Bool, [Source.StackAt(9)]),
                new ParamSpec("n", I64, [Source.StackAt(16)]),
            ]);
        var (plan, _) = Redactor.Plan([probe], [RedactRule.Parse("a"), RedactRule.Parse("n")]);
        var stack = Enumerable.Range(1, 24).Select(i => (byte)i).ToArray();
        var red = plan[0].Apply(new RawEvent(1, 1, 1, 1, [], stack, []));
        Assert.Equal(0, red.Stack![8]);
        Assert.Equal(10, red.Stack[9]);
        Assert.All(red.Stack[16..24], b => Assert.Equal(0, b));
        Assert.Equal(1, stack[0]); // the original record is untouched
        Assert.Equal(9, stack[8]);
    }

    [Fact]
    public void The_recorder_step_hands_stack_ranges_to_the_sink_and_says_what_it_redacted()
    {
        var stackProbe = new ProbeSpec(7, "main.old", 0, 0x1000, 0, 0x1000, AbiKind.GoStack, new CapturePlan([], 16, []),
            [new ParamSpec("token", I64, [Source.StackAt(8)])]);
        var log = new StringWriter();
        var r = global::Calltape.Recorder.Planning.Redaction.Apply([SyntheticCapture.LookupProbe, stackProbe], ["/^(name|token)$/"], log);
        Assert.Equal([(8, 8)], r.ZeroedStack[7]);
        Assert.False(r.ZeroedStack.ContainsKey(SyntheticCapture.Lookup)); // register-passed: nothing to zero
        Assert.Equal([Reg.Rax, Reg.Rdi], r.Probes[0].Plan.Registers);
        Assert.Empty(r.Probes[0].Plan.Derefs);
        Assert.Contains("main.lookup: redacted name", log.ToString());
        Assert.Contains("main.old: redacted token", log.ToString());

        var none = global::Calltape.Recorder.Planning.Redaction.Apply([SyntheticCapture.LookupProbe], [], log);
        Assert.Same(SyntheticCapture.LookupProbe, none.Probes[0]);
    }

    [Fact]
    public void Unmatched_exact_names_fail_and_unmatched_regexes_warn()
    {
        var probes = new[] { SyntheticCapture.LookupProbe };
        var (_, unmatched) = Redactor.Plan(probes, [RedactRule.Parse("/secret/"), RedactRule.Parse("nmae")]);
        var ex = Assert.Throws<CalltapeException>(() => Redactor.CheckUnmatched(unmatched, probes));
        Assert.Contains("parameters: id, name, ok", ex.Message);
        Assert.Single(Redactor.CheckUnmatched([unmatched[0]], probes));
        Assert.Throws<CalltapeException>(() => RedactRule.Parse("/(/"));
        Assert.True(RedactRule.Parse("name").Matches("name"));
        Assert.False(RedactRule.Parse("name").Matches("username"));
        Assert.True(RedactRule.Parse("/name/").Matches("username"));
    }
}
