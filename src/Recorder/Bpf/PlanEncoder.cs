using Calltape.Capture;
using Calltape.Capture.Model;

namespace Calltape.Recorder.Bpf;

/// <summary>Encodes the shared capture-plan model into struct ct_plan for the plans map.</summary>
internal static class PlanEncoder
{
    /// <param name="linkIp">The probed instruction's link-time address (ProbeSpec.ProbeAddress): with RIP at a hit, the load bias.</param>
    public static CtPlan Encode(CapturePlan plan, ulong linkIp)
    {
        if (plan.StackLen is < 0 or > BpfLimits.MaxStack)
            throw new CalltapeException($"a plan's stack window of {plan.StackLen} bytes exceeds {BpfLimits.MaxStack}");
        if (plan.Derefs.Count > BpfLimits.MaxDerefs)
            throw new CalltapeException($"a plan has {plan.Derefs.Count} dereferences; the limit is {BpfLimits.MaxDerefs}");
        if (plan.UserStack is < 0 or > BpfLimits.MaxUserStack)
            throw new CalltapeException($"a plan's user stack of {plan.UserStack} frames exceeds {BpfLimits.MaxUserStack}");
        var p = new CtPlan
        {
            StackLen = (ushort)plan.StackLen, NDerefs = (byte)plan.Derefs.Count, UstackDepth = (byte)plan.UserStack,
            LinkIp = linkIp, ImageLo = plan.Image.Lo, ImageHi = plan.Image.Hi,
        };
        for (var i = 0; i < plan.Derefs.Count; i++)
        {
            var d = plan.Derefs[i];
            var c = new CtDeref
            {
                Ptr = Src(d.Ptr),
                Len = Src(d.Len),
                MaxLen = (ushort)Math.Clamp(d.MaxLen, 0, BpfLimits.MaxDerefLen),
                Flags = (ushort)((d.CString ? BpfLimits.DerefCString : 0) | (d.OutsideImage ? BpfLimits.DerefOutsideImage : 0)
                    | (Math.Clamp(d.Scale, 0, 255) << BpfLimits.DerefScaleShift)),
                Offset = d.Offset,
            };
            switch (i)
            {
                case 0: p.Deref0 = c; break;
                case 1: p.Deref1 = c; break;
                case 2: p.Deref2 = c; break;
                case 3: p.Deref3 = c; break;
                case 4: p.Deref4 = c; break;
                case 5: p.Deref5 = c; break;
                case 6: p.Deref6 = c; break;
                default: p.Deref7 = c; break;
            }
        }
        return p;
    }

    /// <summary>CT_SRC_DEREF keeps the earlier dereference's index in pad (bpf/calltape.h, struct ct_src).</summary>
    private static CtSrc Src(Source s) => new()
    {
        Kind = (byte)s.Kind,
        Pad = s.Kind == SourceKind.Deref ? checked((byte)s.Deref) : (byte)0,
        Index = checked((ushort)s.Index),
    };
}
