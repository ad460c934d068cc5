using Calltape.Capture.Model;
using Calltape.Capture.Pairing;

namespace Calltape.Analyzer.Replay;

/// <summary>One call as the tracker follows it: its entry record, where it nests, and the time its children took.</summary>
internal sealed class CallFrame(ProbeSpec probe, RawEvent entry, CallKey key, CallFrame? parent)
{
    public ProbeSpec Probe { get; } = probe;
    public RawEvent Entry { get; } = entry;
    public CallKey Key { get; } = key;

    /// <summary>The call it was made from on the same thread or goroutine, or null at the bottom of the flow.</summary>
    public CallFrame? Parent { get; } = parent;

    /// <summary>Sum of the durations of its returned direct children: what self time subtracts.</summary>
    public long ChildNs { get; set; }

    /// <summary>Whatever the consumer keeps per call (the replay's line state).</summary>
    public object? Tag { get; set; }
}

/// <summary>What the tracker reports, in time order; replay prints these, report counts them.</summary>
internal interface ICallSink
{
    /// <summary>A call of a function whose returns were not probed: one record is the whole call.</summary>
    void Single(CallFrame call);

    /// <summary>A call that will return (or be abandoned) later.</summary>
    void Enter(CallFrame call);

    void Return(CallFrame call, RawEvent exit, ProbeSpec exitProbe);

    /// <summary>A call that never returned in the capture (unwound by a panic, evicted, or still open at the end).</summary>
    void Abandon(CallFrame call);

    /// <summary>A return whose call began before the recording or whose entry was lost.</summary>
    void UnmatchedExit(RawEvent exit, ProbeSpec exitProbe);
}

/// <summary>Nests time-ordered records into calls per goroutine (Go) or thread, the way <see cref="CallPairer{T}"/> pairs them.</summary>
/// <remarks>
/// Pairing rules are CallPairer's (an exit closes the innermost open call of its entry probe on the same key; calls
/// above it were abandoned); this class adds what replay and report need on top: the parent of each call and the
/// time spent in children, which CallPairer's payload-only stacks do not keep.
/// </remarks>
internal sealed class CallTracker(SessionHeader header, ICallSink sink, int maxDepth = 1 << 16)
{
    private readonly Dictionary<CallKey, List<CallFrame>> _stacks = [];
    private readonly ProbeSpec?[] _probes = Index(header);
    private readonly HashSet<int> _paired = header.Probes.Where(p => p.Kind == ProbeKind.Exit).Select(p => p.EntryProbe).ToHashSet();

    /// <summary>The probe spec of an id, or null for an id the header does not define.</summary>
    public ProbeSpec? Probe(int id) => (uint)id < (uint)_probes.Length ? _probes[id] : null;

    public void Process(RawEvent ev)
    {
        var probe = Probe(ev.Probe);
        if (probe is null) return;
        var key = CallKey.Of(probe, ev);
        _stacks.TryGetValue(key, out var stack);
        if (probe.Kind == ProbeKind.Exit)
        {
            var at = stack?.FindLastIndex(f => f.Probe.Id == probe.EntryProbe) ?? -1;
            if (at < 0)
            {
                sink.UnmatchedExit(ev, probe);
                return;
            }
            for (var i = stack!.Count - 1; i > at; i--) sink.Abandon(stack[i]);
            var call = stack[at];
            stack.RemoveRange(at, stack.Count - at);
            if (stack.Count == 0) _stacks.Remove(key);
            if (call.Parent is { } parent && at > 0) parent.ChildNs += (long)(ev.KtimeNs - call.Entry.KtimeNs);
            sink.Return(call, ev, probe);
            return;
        }
        var frame = new CallFrame(probe, ev, key, stack is { Count: > 0 } ? stack[^1] : null);
        if (!_paired.Contains(probe.Id))
        {
            sink.Single(frame);
            return;
        }
        if (stack is null) _stacks[key] = stack = [];
        stack.Add(frame);
        sink.Enter(frame);
        if (stack.Count > maxDepth)
        {
            sink.Abandon(stack[0]);
            stack.RemoveAt(0);
        }
    }

    /// <summary>Gives back every call still open, innermost first per flow, as abandoned.</summary>
    public void Finish()
    {
        foreach (var stack in _stacks.Values.OrderBy(s => s[0].Entry.KtimeNs))
            for (var i = stack.Count - 1; i >= 0; i--) sink.Abandon(stack[i]);
        _stacks.Clear();
    }

    private static ProbeSpec?[] Index(SessionHeader header)
    {
        var max = header.Probes.Count == 0 ? -1 : Math.Min(header.Probes.Max(p => p.Id), 1 << 20);
        var byId = new ProbeSpec?[max + 1];
        foreach (var p in header.Probes)
            if ((uint)p.Id < (uint)byId.Length) byId[p.Id] = p;
        return byId;
    }
}
