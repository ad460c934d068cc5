using System.Buffers.Binary;
using System.Globalization;
using Calltape.Capture.Model;
using Calltape.Capture.Pairing;

namespace Calltape.Analyzer.Replay;

/// <summary>Turns the tracker's calls into uftrace-style lines, in entry-time order, as soon as each line is decided.</summary>
/// <remarks>
/// A call that returns before anything else happens on its flow is a leaf and gets one line
/// (<c>f(args) = ret</c>); otherwise an entry line (<c>f(args) {</c>) and later a closing line (<c>} /* f */</c>). Which
/// one is known only at the flow's next record, so the entry line holds its place in an output queue until then;
/// lines behind it wait, which keeps the output in time order. The queue is bounded: past
/// <see cref="MaxWaiting"/> lines the oldest undecided call is printed as an entry line.
/// </remarks>
/// <param name="types">Interface dynamic-type names per binary index (Binaries/DynamicTypes), or null.</param>
internal sealed class ReplayPrinter(SessionHeader header, CallFilter filter, TextWriter output, long limit,
    Func<int, Capture.Decoding.IDynamicTypes?>? types = null) : ICallSink
{
    public const int MaxWaiting = 4096;

    private readonly Queue<Line> _queue = new();
    private readonly Dictionary<CallKey, ulong> _goids = [];

    /// <summary>Lines written so far.</summary>
    public long Printed { get; private set; }

    /// <summary>True once --limit lines were written: the caller stops reading.</summary>
    public bool Full => limit > 0 && Printed >= limit;

    public void Single(CallFrame call)
    {
        var st = Track(call);
        if (!st.Selected) return;
        Decide(call.Parent);
        Enqueue(Format(call.Entry, call.Key, call.Probe, null, st.Depth, $"{Call(call)}"));
    }

    public void Enter(CallFrame call)
    {
        var st = Track(call);
        if (!st.Selected) return;
        Decide(call.Parent);
        st.Pending = new Line(call);
        _queue.Enqueue(st.Pending);
        if (_queue.Count > MaxWaiting && _queue.Peek().Call is { } oldest) Decide(oldest);
    }

    public void Return(CallFrame call, RawEvent exit, ProbeSpec exitProbe)
    {
        if (exitProbe.GoidDeref >= 0 && exitProbe.GoidDeref < exit.Derefs.Length && exit.Derefs[exitProbe.GoidDeref] is { Error: 0, Data.Length: 8 } d)
            _goids[call.Key] = BinaryPrimitives.ReadUInt64LittleEndian(d.Data);
        if (call.Tag is not State { Selected: true } st) return;
        var duration = (long)(exit.KtimeNs - call.Entry.KtimeNs);
        var ret = Results(exitProbe, exit);
        if (st.Pending is { } line)
        {
            line.Text = Format(call.Entry, call.Key, call.Probe, duration, st.Depth, Call(call) + ret);
            line.Call = null;
            st.Pending = null;
            Flush();
        }
        else Enqueue(Format(exit, call.Key, call.Probe, duration, st.Depth, $"}} /* {call.Probe.Function} */{ret}"));
    }

    public void Abandon(CallFrame call)
    {
        if (call.Tag is not State { Selected: true } st) return;
        if (st.Pending is { } line)
        {
            line.Text = Format(call.Entry, call.Key, call.Probe, null, st.Depth, Call(call) + " /* no return */");
            line.Call = null;
            st.Pending = null;
            Flush();
        }
        else Enqueue(Format(call.Entry, call.Key, call.Probe, null, st.Depth, $"}} /* {call.Probe.Function}: no return */"));
    }

    public void UnmatchedExit(RawEvent exit, ProbeSpec exitProbe)
    {
        // Its arguments were never seen, so --where cannot judge it: hidden then.
        if (filter.Where is not null || !filter.Shows(exitProbe, exit)) return;
        var key = CallKey.Of(exitProbe, exit);
        Enqueue(Format(exit, key, exitProbe, null, 0, $"}} /* {exitProbe.Function}: entered before the capture */{Results(exitProbe, exit)}"));
    }

    /// <summary>A marker where a loss snapshot shows drops went up: the events of that probe and CPU missing before it.</summary>
    public void Gap(LossGap g)
    {
        var fn = header.Probes.FirstOrDefault(p => p.Id == g.Probe)?.Function ?? "?";
        if (filter.Function is not null && !filter.Function.IsMatch(fn)) return;
        Enqueue($"{Elapsed(g.KtimeNs)}  --- {g.Count} events lost here (probe {g.Probe} {fn}, cpu {g.Cpu}) ---");
    }

    /// <summary>Prints every waiting line; undecided calls (cut by --until or --limit) as entry lines.</summary>
    public void Finish()
    {
        while (_queue.Count > 0 && !Full)
        {
            if (_queue.Peek().Call is { } c) Decide(c);
            else Flush();
        }
    }

    private State Track(CallFrame call)
    {
        State? parent = null;
        for (var p = call.Parent; p is not null && parent is null; p = p.Parent)
            if (p.Tag is State { Selected: true } s) parent = s;
        var st = new State(filter.Matches(call.Probe, call.Entry), parent is null ? 0 : parent.Depth + 1);
        call.Tag = st;
        return st;
    }

    /// <summary>Something happened inside the nearest shown ancestor, so it is not a leaf: its entry line is final.</summary>
    private void Decide(CallFrame? call)
    {
        for (var p = call; p is not null; p = p.Parent)
        {
            if (p.Tag is not State { Selected: true } st) continue;
            if (st.Pending is { } line)
            {
                line.Text = Format(p.Entry, p.Key, p.Probe, null, st.Depth, Call(p) + " {");
                line.Call = null;
                st.Pending = null;
                Flush();
            }
            return;
        }
    }

    private void Enqueue(string text)
    {
        _queue.Enqueue(new Line(null) { Text = text });
        Flush();
    }

    private void Flush()
    {
        while (!Full && _queue.TryPeek(out var head) && head.Text is not null)
        {
            output.WriteLine(_queue.Dequeue().Text);
            Printed++;
        }
    }

    private string Call(CallFrame c) => $"{c.Probe.Function}({ValueText.Params(c.Probe, c.Entry, types: TypesFor(c.Probe))})";

    /// <summary>" = v" for one result, " = (a=1, b=2)" for several, nothing for none.</summary>
    private string Results(ProbeSpec exitProbe, RawEvent exit) => exitProbe.Params.Count switch
    {
        0 => "",
        1 => " = " + ValueText.Params(exitProbe, exit, names: false, types: TypesFor(exitProbe)),
        _ => " = (" + ValueText.Params(exitProbe, exit, types: TypesFor(exitProbe)) + ")",
    };

    private Capture.Decoding.IDynamicTypes? TypesFor(ProbeSpec probe) =>
        types is not null && Binaries.DynamicTypes.Needed(probe) ? types(probe.Binary) : null;

    /// <remarks>A Go call is labelled by its goroutine (goid once an exit told it, else the g pointer); a Go probe
    /// without R14 (entry-only captures) and everything else by its thread.</remarks>
    private string Format(RawEvent ev, CallKey key, ProbeSpec probe, long? duration, int depth, string text)
    {
        var ktime = ev.KtimeNs;
        var flow = probe.Abi == AbiKind.GoRegs && key.Flow != 0
            ? _goids.TryGetValue(key, out var goid) ? $"[{key.Pid} goid {goid}]" : $"[{key.Pid} g 0x{key.Flow:x}]"
            : $"[{ev.Pid} tid {ev.Tid}]";
        var d = duration is { } ns ? ValueText.Duration(ns) : "";
        return $"{Elapsed(ktime)}  {flow,-22} {d,12} | {new string(' ', 2 * depth)}{text}";
    }

    private string Elapsed(ulong ktime) =>
        (((long)ktime - header.Clock.MonotonicNs) / 1e9).ToString("F6", CultureInfo.InvariantCulture).PadLeft(11) + "s";

    /// <summary>An output line, or the place of one whose call is still undecided.</summary>
    private sealed class Line(CallFrame? call)
    {
        public CallFrame? Call { get; set; } = call;
        public string? Text { get; set; }
    }

    /// <summary>Per call: shown or not, its indentation, and its waiting entry line.</summary>
    private sealed class State(bool selected, int depth)
    {
        public bool Selected { get; } = selected;
        public int Depth { get; } = depth;
        public Line? Pending { get; set; }
    }
}
