using Xunit;
using System.Runtime.InteropServices;
using Calltape.Recorder.Bpf;
using Calltape.Tests.Support;

namespace Calltape.Tests.Unit;

/// <summary>The C# mirror (src/Recorder/Bpf/EventLayout.cs) matches bpf/calltape.h in every size and offset.</summary>
public class LayoutMirrorTests
{
    private static readonly Lazy<Dictionary<string, long>> C = new(CompileAndMeasure);

    // Each entry: the C expression measured by the compiled probe, and the same fact read off the C# mirror.
    public static TheoryData<string, long> Facts() => new()
    {
        { "sizeof(struct ct_src)", Marshal.SizeOf<CtSrc>() },
        { "offsetof(struct ct_src, kind)", Off<CtSrc>(nameof(CtSrc.Kind)) },
        { "offsetof(struct ct_src, pad)", Off<CtSrc>(nameof(CtSrc.Pad)) },
        { "offsetof(struct ct_src, index)", Off<CtSrc>(nameof(CtSrc.Index)) },
        { "sizeof(struct ct_deref)", Marshal.SizeOf<CtDeref>() },
        { "offsetof(struct ct_deref, ptr)", Off<CtDeref>(nameof(CtDeref.Ptr)) },
        { "offsetof(struct ct_deref, len)", Off<CtDeref>(nameof(CtDeref.Len)) },
        { "offsetof(struct ct_deref, max_len)", Off<CtDeref>(nameof(CtDeref.MaxLen)) },
        { "offsetof(struct ct_deref, flags)", Off<CtDeref>(nameof(CtDeref.Flags)) },
        { "offsetof(struct ct_deref, offset)", Off<CtDeref>(nameof(CtDeref.Offset)) },
        { "sizeof(struct ct_plan)", Marshal.SizeOf<CtPlan>() },
        { "offsetof(struct ct_plan, stack_len)", Off<CtPlan>(nameof(CtPlan.StackLen)) },
        { "offsetof(struct ct_plan, n_derefs)", Off<CtPlan>(nameof(CtPlan.NDerefs)) },
        { "offsetof(struct ct_plan, ustack_depth)", Off<CtPlan>(nameof(CtPlan.UstackDepth)) },
        { "offsetof(struct ct_plan, derefs[0])", Off<CtPlan>(nameof(CtPlan.Deref0)) },
        { "offsetof(struct ct_plan, derefs[1])", Off<CtPlan>(nameof(CtPlan.Deref1)) },
        { "offsetof(struct ct_plan, derefs[2])", Off<CtPlan>(nameof(CtPlan.Deref2)) },
        { "offsetof(struct ct_plan, derefs[3])", Off<CtPlan>(nameof(CtPlan.Deref3)) },
        { "offsetof(struct ct_plan, derefs[7])", Off<CtPlan>(nameof(CtPlan.Deref7)) },
        { "offsetof(struct ct_plan, link_ip)", Off<CtPlan>(nameof(CtPlan.LinkIp)) },
        { "offsetof(struct ct_plan, image_lo)", Off<CtPlan>(nameof(CtPlan.ImageLo)) },
        { "offsetof(struct ct_plan, image_hi)", Off<CtPlan>(nameof(CtPlan.ImageHi)) },
        { "sizeof(struct ct_counters)", Marshal.SizeOf<CtCounters>() },
        { "offsetof(struct ct_counters, hits)", Off<CtCounters>(nameof(CtCounters.Hits)) },
        { "offsetof(struct ct_counters, drops)", Off<CtCounters>(nameof(CtCounters.Drops)) },
        { "sizeof(struct ct_event)", SizeOfEvent() },
        { "offsetof(struct ct_event, ktime_ns)", Off<CtEvent>(nameof(CtEvent.KtimeNs)) },
        { "offsetof(struct ct_event, cookie)", Off<CtEvent>(nameof(CtEvent.Cookie)) },
        { "offsetof(struct ct_event, pid)", Off<CtEvent>(nameof(CtEvent.Pid)) },
        { "offsetof(struct ct_event, tid)", Off<CtEvent>(nameof(CtEvent.Tid)) },
        { "offsetof(struct ct_event, cpu)", Off<CtEvent>(nameof(CtEvent.Cpu)) },
        { "offsetof(struct ct_event, stack_len)", Off<CtEvent>(nameof(CtEvent.StackLen)) },
        { "offsetof(struct ct_event, n_derefs)", Off<CtEvent>(nameof(CtEvent.NDerefs)) },
        { "offsetof(struct ct_event, flags)", Off<CtEvent>(nameof(CtEvent.Flags)) },
        { "offsetof(struct ct_event, regs)", Off<CtEvent>(nameof(CtEvent.Regs)) },
        { "sizeof(struct ct_deref_hdr)", Marshal.SizeOf<CtDerefHdr>() },
        { "offsetof(struct ct_deref_hdr, len)", Off<CtDerefHdr>(nameof(CtDerefHdr.Len)) },
        { "offsetof(struct ct_deref_hdr, err)", Off<CtDerefHdr>(nameof(CtDerefHdr.Err)) },
        { "offsetof(struct ct_deref_hdr, want)", Off<CtDerefHdr>(nameof(CtDerefHdr.Want)) },
        { "sizeof(struct ct_ustack_hdr)", Marshal.SizeOf<CtUstackHdr>() },
        { "offsetof(struct ct_ustack_hdr, n)", Off<CtUstackHdr>(nameof(CtUstackHdr.N)) },
        { "offsetof(struct ct_ustack_hdr, flags)", Off<CtUstackHdr>(nameof(CtUstackHdr.Flags)) },
        { "CT_MAX_USTACK", BpfLimits.MaxUserStack },
        { "CT_EVF_USTACK", BpfLimits.EventFlagUserStack },
        { "CT_USTACK_TRUNCATED", BpfLimits.UserStackTruncated },
        { "CT_USTACK_FAULT", BpfLimits.UserStackFault },
        { "CT_NREGS", BpfLimits.RegCount },
        { "CT_MAX_PROBES", BpfLimits.MaxProbes },
        { "CT_MAX_DEREFS", BpfLimits.MaxDerefs },
        { "CT_MAX_STACK", BpfLimits.MaxStack },
        { "CT_MAX_DEREF_LEN", BpfLimits.MaxDerefLen },
        { "CT_EVF_STACK_FAULT", BpfLimits.EventFlagStackFault },
        { "CT_COOKIE_REGS_ONLY", (long)BpfLimits.CookieRegsOnly },
        { "CT_DEREF_CSTR", BpfLimits.DerefCString },
        { "CT_DEREF_OUTSIDE_IMAGE", BpfLimits.DerefOutsideImage },
        { "CT_DEREF_SCALE_SHIFT", BpfLimits.DerefScaleShift },
        { "CT_SCRATCH_SIZE", BpfLimits.ScratchSize },
        { "CT_REG_RAX", (long)global::Calltape.Capture.Model.Reg.Rax },
        { "CT_REG_RDI", (long)global::Calltape.Capture.Model.Reg.Rdi },
        { "CT_REG_R11", (long)global::Calltape.Capture.Model.Reg.R11 },
        { "CT_REG_R14", (long)global::Calltape.Capture.Model.Reg.R14 },
        { "CT_REG_RSP", (long)global::Calltape.Capture.Model.Reg.Rsp },
        { "CT_REG_RIP", (long)global::Calltape.Capture.Model.Reg.Rip },
        { "CT_SRC_REG", (long)global::Calltape.Capture.Model.SourceKind.Register },
        { "CT_SRC_STACK", (long)global::Calltape.Capture.Model.SourceKind.Stack },
        { "CT_SRC_DEREF", (long)global::Calltape.Capture.Model.SourceKind.Deref },
    };

    [Theory]
    [MemberData(nameof(Facts))]
    public void MirrorMatchesHeader(string expression, long csharp) => Assert.Equal(C.Value[expression], csharp);

    [Fact]
    public void EveryHeaderFactIsChecked() => Assert.Equal(Facts().Count(), C.Value.Count);

    private static long Off<T>(string field) => Marshal.OffsetOf<T>(field).ToInt64();

    private static unsafe long SizeOfEvent() => sizeof(CtEvent);

    private static Dictionary<string, long> CompileAndMeasure()
    {
        var dir = Repo.NewTempDir("layout");
        var src = Path.Combine(dir, "layout.c");
        var lines = Facts().Select(row => (string)row[0]).Select(e => $"  printf(\"%s=%ld\\n\", \"{e}\", (long)({e}));");
        File.WriteAllText(src,
            "#include <stdio.h>\n#include <stddef.h>\n#include \"calltape.h\"\nint main(void) {\n" + string.Join('\n', lines) + "\n  return 0;\n}\n");
        var exe = Path.Combine(dir, "layout");
        Fixtures.Run("gcc", $"-Wall -Werror -I{Path.Combine(Repo.Root, "bpf")} -o {exe} {src}");
        return Fixtures.Run(exe, "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => long.Parse(p[1]));
    }
}
