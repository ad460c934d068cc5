using Calltape.Capture.Model;
using Calltape.Capture.Redaction;

namespace Calltape.Recorder.Planning;

/// <summary>calltape-record --redact: rewrites the resolved probes so redacted values are never copied or written.</summary>
/// <remarks>
/// Runs after ProbeResolver.Resolve. A redacted parameter is marked not captured ("redacted"); its dereferences leave
/// the BPF plan (the kernel never reads the bytes) and its registers leave the kept list (the ring record still holds
/// all registers, but only kept ones reach the disk). Stack-passed values stay in the copied window, so EventSink zeroes
/// their bytes before writing (<see cref="ZeroedStack"/>).
/// </remarks>
internal sealed class Redaction
{
    private Redaction(IReadOnlyList<ProbeSpec> probes, IReadOnlyDictionary<int, (int Offset, int Length)[]> zeroed)
    {
        Probes = probes;
        ZeroedStack = zeroed;
    }

    /// <summary>The probes as redacted (unchanged when no rule is given).</summary>
    public IReadOnlyList<ProbeSpec> Probes { get; }

    /// <summary>Per probe id, the stack-window byte ranges to zero in every record; only probes that need it.</summary>
    public IReadOnlyDictionary<int, (int Offset, int Length)[]> ZeroedStack { get; }

    /// <summary>Applies the --redact rules; an exact name no probe has is an error, an unmatched regex a warning.</summary>
    public static Redaction Apply(IReadOnlyList<ProbeSpec> probes, IReadOnlyList<string> rules, TextWriter warnings)
    {
        if (rules.Count == 0) return new Redaction(probes, new Dictionary<int, (int, int)[]>());
        var (redactions, unmatched) = Redactor.Plan(probes, RedactRule.ParseAll(rules));
        foreach (var w in Redactor.CheckUnmatched(unmatched, probes)) warnings.WriteLine($"recording: warning: {w}");
        foreach (var p in redactions.Where(r => !r.IsIdentity).Select(r => r.Probe))
            warnings.WriteLine($"recording: {p.Function}: redacted {string.Join(", ", p.Params.Where(q => q.NotCaptured == RedactRule.Marker).Select(q => q.Name))}");
        return new Redaction(
            redactions.Select(r => r.Probe).ToArray(),
            redactions.Where(r => r.ZeroedStack.Length > 0).ToDictionary(r => r.Probe.Id, r => r.ZeroedStack));
    }
}
