using System.Runtime.InteropServices;
using Calltape.Capture.Model;

namespace Calltape.Capture.Pairing;

/// <summary>The flow of control calls nest in: a goroutine (pid, g pointer) for Go, a thread (pid, tid) otherwise.</summary>
public readonly record struct CallKey(uint Pid, ulong Flow)
{
    /// <summary>
    /// The key of an event. Go register-ABI probes keep R14, the g pointer (abi-internal.md, amd64), because a goroutine
    /// can move to another thread between its entry and its return: Go calls are never paired by thread id.
    /// </summary>
    public static CallKey Of(ProbeSpec probe, RawEvent ev) => Of(FlowRegister(probe), ev);

    /// <summary>Where a probe's events keep their flow: the index of R14 among the plan's registers for a Go
    /// register-ABI probe (-2 when the plan did not keep it), or -1 for a thread-keyed probe.</summary>
    /// <remarks>Resolved once per probe, so a loop over millions of events does not search the plan per event.</remarks>
    public static int FlowRegister(ProbeSpec probe) =>
        probe.Abi != AbiKind.GoRegs ? -1 : probe.Plan.IndexOf(Reg.R14) is var i and >= 0 ? i : -2;

    /// <summary>The key of an event, given its probe's <see cref="FlowRegister"/>.</summary>
    public static CallKey Of(int flowRegister, RawEvent ev)
    {
        if (flowRegister == -1) return new CallKey(ev.Pid, ev.Tid);
        var regs = ev.Registers;
        return new CallKey(ev.Pid, (uint)flowRegister < (uint)regs.Length ? regs[flowRegister] : 0);
    }
}

/// <summary>Matches exits to entries with one stack per <see cref="CallKey"/>, so recursion nests. Pure: no I/O.</summary>
/// <remarks>
/// Records of one goroutine or thread reach the ring in the order they happened (each reserves its slot after the
/// previous one finished), so file order is call order per key. An exit closes the innermost open entry of the same
/// probe; entries above it were left without a return (a panic unwound them, or their RET was not probed) and are
/// given back as abandoned. Memory is bounded by <see cref="MaxDepth"/> open entries per key.
/// </remarks>
public sealed class CallPairer<T>
{
    private readonly Dictionary<CallKey, List<(int Probe, T Payload)>> _stacks = new();

    /// <summary>Keys whose stack is empty. They stay in the dictionary, so the next call of the same goroutine or thread
    /// finds its stack in one lookup instead of removing and re-adding the key around every call (the pairer's hashing
    /// was most of its cost in convert); once more than <see cref="MaxEmpty"/> pile up (short-lived goroutines), they are
    /// swept out, which bounds the memory they hold.</summary>
    private int _empty;
    private const int MaxEmpty = 1024;

    /// <param name="maxDepth">Open entries kept per key; beyond it the outermost is given up as never closed.</param>
    public CallPairer(int maxDepth = 1 << 16) => MaxDepth = maxDepth;

    public int MaxDepth { get; }

    /// <summary>Exits matched to an entry.</summary>
    public long Paired { get; private set; }

    /// <summary>Exits with no open entry of their function (the call began before recording, or its entry was lost).</summary>
    public long UnmatchedExits { get; private set; }

    /// <summary>Entries given back without an exit: abandoned, evicted, or still open at the end.</summary>
    public long Unclosed { get; private set; }

    /// <summary>Entries currently open, over all keys.</summary>
    public long Open { get; private set; }

    /// <summary>Opens a call; returns true with <paramref name="evicted"/> when the key's stack was full.</summary>
    public bool Enter(CallKey key, int entryProbe, T payload, out T evicted)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_stacks, key, out var existed);
        var stack = slot ??= [];
        if (existed && stack.Count == 0) _empty--;
        stack.Add((entryProbe, payload));
        Open++;
        evicted = default!;
        if (stack.Count <= MaxDepth) return false;
        evicted = stack[0].Payload;
        stack.RemoveAt(0);
        if (stack.Count == 0) _empty++; // only with maxDepth 0
        Open--;
        Unclosed++;
        return true;
    }

    /// <summary>Closes the innermost open call of <paramref name="entryProbe"/> on the key.</summary>
    /// <param name="abandoned">Receives, innermost first, the calls opened inside it that never returned.</param>
    public bool TryExit(CallKey key, int entryProbe, out T entry, List<T> abandoned)
    {
        entry = default!;
        if (!_stacks.TryGetValue(key, out var stack) || LastOf(stack, entryProbe) is var at && at < 0)
        {
            UnmatchedExits++;
            return false;
        }
        for (var i = stack.Count - 1; i > at; i--) abandoned.Add(stack[i].Payload);
        Unclosed += stack.Count - 1 - at;
        entry = stack[at].Payload;
        Open -= stack.Count - at;
        stack.RemoveRange(at, stack.Count - at);
        if (stack.Count == 0 && ++_empty > MaxEmpty) SweepEmpty();
        Paired++;
        return true;
    }

    private void SweepEmpty()
    {
        foreach (var (key, stack) in _stacks)
            if (stack.Count == 0) _stacks.Remove(key); // removing while enumerating is allowed for Dictionary since .NET Core 3.0
        _empty = 0;
    }

    /// <summary>The innermost open entry of a probe on a stack, or -1 (a loop: a lambda would allocate per exit).</summary>
    private static int LastOf(List<(int Probe, T Payload)> stack, int probe)
    {
        for (var i = stack.Count - 1; i >= 0; i--)
            if (stack[i].Probe == probe) return i;
        return -1;
    }

    /// <summary>Every call still open, in entry order per key; they count as never closed.</summary>
    public List<T> Drain()
    {
        var all = new List<T>();
        foreach (var s in _stacks.Values)
            foreach (var (_, payload) in s) all.Add(payload);
        Unclosed += all.Count;
        Open = 0;
        _stacks.Clear();
        _empty = 0;
        return all;
    }
}
