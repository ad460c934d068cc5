using System.Runtime.InteropServices;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Recorder.Bpf;
using Calltape.Recorder.Native;

namespace Calltape.Recorder.Session;

/// <summary>Drains the BPF ring buffer into the capture: one ring record becomes one chunk item.</summary>
/// <remarks>This is the hot path: no allocation per event; registers are picked by precomputed indices.</remarks>
internal sealed unsafe class EventSink : IDisposable
{
    private readonly CaptureWriter _writer;
    private readonly int[][] _keep;       // per probe id: struct ct_event register indices the plan keeps
    private readonly bool[] _hasStack;    // per probe id: the plan has a stack window
    private readonly int[] _derefs;       // per probe id: the plan's dereference count
    private readonly bool[] _userStack;   // per probe id: the plan walks the user stack
    private readonly (int Offset, int Length)[]?[] _zero; // per probe id: stack bytes of --redact'ed values, or null
    private readonly GCHandle _self;
    private readonly RingBufferHandle _ring;

    /// <param name="zeroedStack">Per probe id, stack-window byte ranges holding redacted values (Planning/Redaction).</param>
    /// <param name="binaryPaths">The session's binaries by index: with --stack, their mappings per process are recorded.</param>
    public EventSink(CaptureWriter writer, IReadOnlyList<ProbeSpec> probes, int eventsFd,
        IReadOnlyDictionary<int, (int Offset, int Length)[]>? zeroedStack = null, IReadOnlyList<string>? binaryPaths = null)
    {
        _writer = writer;
        if (binaryPaths is not null && probes.Any(p => p.Plan.UserStack > 0)) _ = new ProcessMaps(writer, binaryPaths);
        var n = probes.Count == 0 ? 0 : probes.Max(p => p.Id) + 1;
        _keep = new int[n][];
        _hasStack = new bool[n];
        _derefs = new int[n];
        _userStack = new bool[n];
        _zero = new (int, int)[]?[n];
        PerProbe = new long[n];
        foreach (var p in probes)
        {
            _keep[p.Id] = p.Plan.Registers.Select(r => (int)r).ToArray();
            _hasStack[p.Id] = p.Plan.StackLen > 0;
            _derefs[p.Id] = p.Plan.Derefs.Count;
            _userStack[p.Id] = p.Plan.UserStack > 0;
            _zero[p.Id] = zeroedStack?.GetValueOrDefault(p.Id);
        }
        _self = GCHandle.Alloc(this);
        _ring = LibBpfHandle.Wrap<RingBufferHandle>(LibBpf.CheckPtr(
            LibBpf.ring_buffer__new(eventsFd, &OnSample, GCHandle.ToIntPtr(_self), 0), "opening the ring buffer"));
    }

    /// <summary>Events written, per probe id.</summary>
    public long[] PerProbe { get; }

    /// <summary>Events written in all.</summary>
    public long Total { get; private set; }

    /// <summary>Ring records that did not match the layout or a known probe (a bug if ever non-zero).</summary>
    public long Malformed { get; private set; }

    /// <summary>Consumes everything in the ring now; returns the records consumed.</summary>
    public int Drain() => LibBpf.Check(LibBpf.ring_buffer__consume(_ring), "consuming the ring buffer");

    public void Dispose()
    {
        _ring.Dispose();
        if (_self.IsAllocated) _self.Free();
    }

    [UnmanagedCallersOnly]
    private static int OnSample(nint ctx, nint data, nuint size)
    {
        var sink = (EventSink)GCHandle.FromIntPtr(ctx).Target!;
        sink.Handle((byte*)data, (int)size);
        return 0;
    }

    private void Handle(byte* data, int size)
    {
        if (size < sizeof(CtEvent)) { Malformed++; return; }
        var ev = (CtEvent*)data;
        var id = (int)ev->Cookie;
        if ((uint)id >= (uint)_keep.Length || _keep[id] is null) { Malformed++; return; }
        var keep = _keep[id];
        Span<ulong> regs = stackalloc ulong[keep.Length];
        for (var i = 0; i < keep.Length; i++) regs[i] = ev->Regs[keep[i]];

        var record = new ReadOnlySpan<byte>(data, size);
        var off = sizeof(CtEvent);
        var stackOk = (ev->Flags & BpfLimits.EventFlagStackFault) == 0;
        scoped var stack = record.Slice(off, Math.Min(ev->StackLen, size - off));
        off += stack.Length;
        // The ring's pages are read-only to us, so a redacted stack value is cleared in a copy.
        Span<byte> redactedStack = stackalloc byte[_zero[id] is null ? 0 : stack.Length];
        if (_zero[id] is { } zero)
        {
            stack.CopyTo(redactedStack);
            foreach (var (at, len) in zero)
                if (at < redactedStack.Length) redactedStack.Slice(at, Math.Min(len, redactedStack.Length - at)).Clear();
            stack = redactedStack;
        }

        var want = _derefs[id];
        Span<DerefSlice> derefs = stackalloc DerefSlice[want];
        for (var i = 0; i < want; i++)
        {
            if (i >= ev->NDerefs || off + sizeof(CtDerefHdr) > size)
            {
                derefs[i] = new DerefSlice(0, 0, 0, -7); // E2BIG: the record ran out of scratch space
                continue;
            }
            var h = (CtDerefHdr*)(data + off);
            off += sizeof(CtDerefHdr);
            var len = Math.Min((int)h->Len, size - off);
            derefs[i] = new DerefSlice(off, len, h->Want, h->Err);
            off += len;
        }
        // The user stack block trails the record (bpf/calltape.h, struct ct_ustack_hdr); absent if BPF ran out of room.
        var user = UserStackSample.None;
        if (_userStack[id])
        {
            user = new UserStackSample(true, false, 0, default);
            if ((ev->Flags & BpfLimits.EventFlagUserStack) != 0 && off + sizeof(CtUstackHdr) <= size)
            {
                var sh = (CtUstackHdr*)(data + off);
                var frames = Math.Min((int)sh->N, (size - off - sizeof(CtUstackHdr)) / sizeof(ulong));
                user = new UserStackSample(true, true, sh->Flags, new ReadOnlySpan<ulong>(data + off + sizeof(CtUstackHdr), frames));
            }
        }
        _writer.WriteEvent(id, ev->KtimeNs, ev->Pid, ev->Tid, regs, _hasStack[id], stackOk ? stack : default, record, derefs, user);
        PerProbe[id]++;
        Total++;
    }
}
