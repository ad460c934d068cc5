using Calltape.Capture;
using Calltape.Capture.Model;
using Calltape.Symbols;

namespace Calltape.Recorder.Planning;

/// <summary>Applies --stack [GLOB] and --stack-depth to the planned probes: which entry probes walk the user stack.</summary>
/// <remarks>
/// Only entry probes record stacks: an exit's call is the entry's, and at a uretprobe [SP] holds no return address,
/// which the BPF walk (bpf/calltape.bpf.c, walk_ustack) relies on.
/// </remarks>
internal static class StackRequest
{
    /// <summary>Enough for deep Go and C call chains; perf's default limit (kernel.perf_event_max_stack) is 127.</summary>
    public const int DefaultDepth = 64;

    /// <param name="globs">null: no stacks; empty: every entry probe; else entry probes whose function matches one.</param>
    public static IReadOnlyList<ProbeSpec> Apply(IReadOnlyList<ProbeSpec> probes, IReadOnlyList<string>? globs, int depth)
    {
        if (globs is null) return probes;
        foreach (var g in globs)
            if (!probes.Any(p => p.Kind == ProbeKind.Entry && FunctionGlob.Matches(g, p.Function)))
                throw new CalltapeException($"--stack {g}: matches no probed function (-p)");
        return probes.Select(p => p.Kind == ProbeKind.Entry && (globs.Count == 0 || globs.Any(g => FunctionGlob.Matches(g, p.Function)))
            ? p with { Plan = p.Plan with { UserStack = depth } }
            : p).ToArray();
    }
}
