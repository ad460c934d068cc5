using Calltape.Capture.Model;

namespace Calltape.Capture.Redaction;

/// <summary>How one probe's records change under redaction: which registers and dereferences stay, which stack bytes are zeroed.</summary>
/// <param name="Probe">The probe as redacted: matching params marked not captured, their sources out of the plan.</param>
/// <param name="KeptRegisters">Indices into the original plan's registers that the redacted plan keeps, in order.</param>
/// <param name="KeptDerefs">Indices into the original plan's dereferences that the redacted plan keeps, in order.</param>
/// <param name="ZeroedStack">Byte ranges of the stack window that held a redacted value.</param>
public sealed record ProbeRedaction(ProbeSpec Probe, int[] KeptRegisters, int[] KeptDerefs, (int Offset, int Length)[] ZeroedStack)
{
    /// <summary>True when nothing about the probe changes.</summary>
    public bool IsIdentity { get; init; }

    /// <summary>Rewrites one record of the original probe into a record of the redacted one.</summary>
    public RawEvent Apply(RawEvent ev)
    {
        if (IsIdentity) return ev;
        var regs = new ulong[KeptRegisters.Length];
        for (var i = 0; i < regs.Length; i++) regs[i] = ev.Registers[KeptRegisters[i]];
        var derefs = new DerefData[KeptDerefs.Length];
        for (var i = 0; i < derefs.Length; i++) derefs[i] = ev.Derefs[KeptDerefs[i]];
        var stack = ev.Stack;
        if (stack is not null && ZeroedStack.Length > 0)
        {
            stack = (byte[])stack.Clone();
            foreach (var (at, len) in ZeroedStack)
                if (at >= 0 && at < stack.Length) stack.AsSpan(at, Math.Min(len, stack.Length - at)).Clear();
        }
        return ev with { Registers = regs, Derefs = derefs, Stack = stack };
    }
}

/// <summary>Applies --redact rules to probe plans: a matching parameter becomes not captured ("redacted") and the
/// registers, dereferences and stack bytes that only it used leave the plan, so the value is never stored.</summary>
/// <remarks>
/// A source another parameter still needs stays (its value is that parameter's, not the redacted one's). Registers no
/// parameter names (R14 and RSP of exit probes, raw plans' extras) stay: they carry pairing, not argument values.
/// </remarks>
public static class Redactor
{
    /// <summary>The redaction of every probe, and the rules that matched no parameter at all.</summary>
    public static (IReadOnlyList<ProbeRedaction> Probes, IReadOnlyList<RedactRule> Unmatched) Plan(
        IReadOnlyList<ProbeSpec> probes, IReadOnlyList<RedactRule> rules)
    {
        var used = new HashSet<RedactRule>();
        var result = new List<ProbeRedaction>(probes.Count);
        foreach (var p in probes) result.Add(Redact(p, rules, used));
        return (result, rules.Where(r => !used.Contains(r)).ToArray());
    }

    /// <summary>
    /// Fails when an exact NAME rule matched nothing (a typo would silently leak the value it meant to hide); a
    /// /REGEX/ is a policy that may legitimately match nothing, so it only warns.
    /// </summary>
    public static IReadOnlyList<string> CheckUnmatched(IReadOnlyList<RedactRule> unmatched, IReadOnlyList<ProbeSpec> probes)
    {
        var names = probes.SelectMany(p => p.Params).Select(q => q.Name).Distinct(StringComparer.Ordinal).ToArray();
        var known = names.Length == 0 ? "none" : string.Join(", ", names);
        var exact = unmatched.FirstOrDefault(r => r.Exact is not null);
        if (exact is not null)
            throw new CalltapeException($"--redact {exact.Text}: no probed function has a parameter of that name (parameters: {known})");
        return unmatched.Select(r => $"--redact {r.Text} matched no parameter (parameters: {known})").ToArray();
    }

    private static ProbeRedaction Redact(ProbeSpec p, IReadOnlyList<RedactRule> rules, HashSet<RedactRule> used)
    {
        var redacted = new bool[p.Params.Count];
        for (var i = 0; i < redacted.Length; i++)
            foreach (var r in rules)
                if (r.Matches(p.Params[i].Name)) { redacted[i] = true; used.Add(r); }
        var plan = p.Plan;
        if (!redacted.Contains(true))
            return new ProbeRedaction(p, Enumerable.Range(0, plan.Registers.Count).ToArray(), Enumerable.Range(0, plan.Derefs.Count).ToArray(), [])
            { IsIdentity = true };

        var kept = p.Params.Where((_, i) => !redacted[i]).ToArray();
        var gone = p.Params.Where((_, i) => redacted[i]).ToArray();
        var keptSources = kept.SelectMany(q => q.Pieces).ToHashSet();
        var goneSources = gone.SelectMany(q => q.Pieces).Where(s => !keptSources.Contains(s)).ToHashSet();
        var keptDerefs = kept.SelectMany(q => q.UsedDerefs()).Append(p.GoidDeref).Where(d => d >= 0).ToHashSet();
        // A kept dereference whose pointer or length is read from an earlier one keeps that one too (chained derefs).
        for (var i = plan.Derefs.Count - 1; i >= 0; i--)
            if (keptDerefs.Contains(i))
                foreach (var src in new[] { plan.Derefs[i].Ptr, plan.Derefs[i].Len })
                    if (src.Kind == SourceKind.Deref) keptDerefs.Add(src.Deref);
        var goneDerefs = gone.SelectMany(q => q.UsedDerefs()).Where(d => d >= 0 && !keptDerefs.Contains(d)).ToHashSet();

        var regIdx = Enumerable.Range(0, plan.Registers.Count)
            .Where(i => !goneSources.Contains(Source.Of(plan.Registers[i]))).ToArray();
        var derefIdx = Enumerable.Range(0, plan.Derefs.Count).Where(i => !goneDerefs.Contains(i)).ToArray();
        var renumber = derefIdx.Select((old, now) => (old, now)).ToDictionary(x => x.old, x => x.now);
        // Only the value's own bytes: Go ABI0 packs small arguments, so a bool may share an eightbyte with the next.
        var zeroed = gone.SelectMany(q => q.Pieces.Where(goneSources.Contains).Where(s => s.Kind == SourceKind.Stack)
                .Select(s => (s.Index, q.Type.Kind == TypeKind.String ? 8 : Math.Clamp(q.Type.Size, 1, 8))))
            .Distinct().Order().ToArray();

        var ps = p.Params.Select((q, i) => redacted[i]
            ? q with { Pieces = [], Deref = -1, NotCaptured = RedactRule.Marker, Value = null }
            : q with { Deref = q.Deref >= 0 ? renumber[q.Deref] : -1, Value = q.Value?.Renumber(d => renumber[d]) }).ToArray();
        Source Chained(Source src) => src.Kind == SourceKind.Deref ? src with { Deref = renumber[src.Deref] } : src;
        var newPlan = plan with
        {
            Registers = regIdx.Select(i => plan.Registers[i]).ToArray(),
            Derefs = derefIdx.Select(i => plan.Derefs[i] with { Ptr = Chained(plan.Derefs[i].Ptr), Len = Chained(plan.Derefs[i].Len) }).ToArray(),
        };
        var probe = p with
        {
            Plan = newPlan,
            Params = ps,
            GoidDeref = p.GoidDeref >= 0 ? renumber[p.GoidDeref] : -1,
        };
        return new ProbeRedaction(probe, regIdx, derefIdx, zeroed);
    }
}
