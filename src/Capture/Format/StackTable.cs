namespace Calltape.Capture.Format;

/// <summary>The writer's bounded table of user stacks already written in the current chunk (docs/FORMAT.md, "Stack").</summary>
/// <remarks>
/// Keyed by a 64-bit hash of (pid, flags, frames) and checked frame by frame on a hit, so a hash collision writes a new
/// stack item instead of naming the wrong stack. At <see cref="MaxEntries"/> the table starts over: stacks seen
/// before are written again under new indices, which costs bytes and never loses or confuses a stack.
/// </remarks>
public sealed class StackTable
{
    public const int MaxEntries = 1 << 16;

    private readonly Dictionary<ulong, Entry> _byHash = [];

    private sealed record Entry(int Index, uint Pid, int Flags, ulong[] Frames);

    /// <summary>The next stack index of the chunk.</summary>
    public int Next { get; private set; }

    /// <summary>Stack items written since the recording started (over all chunks, re-emissions included).</summary>
    public long Written { get; private set; }

    /// <summary>Forgets every stack and restarts indices at 0: a new chunk defines its own stacks.</summary>
    public void Reset()
    {
        _byHash.Clear();
        Next = 0;
    }

    /// <summary>The index of this stack in the chunk; isNew when the caller must write its stack item first.</summary>
    public int Lookup(uint pid, int flags, ReadOnlySpan<ulong> frames, out bool isNew)
    {
        var h = Hash(pid, flags, frames);
        if (_byHash.TryGetValue(h, out var e) && e.Pid == pid && e.Flags == flags && frames.SequenceEqual(e.Frames))
        {
            isNew = false;
            return e.Index;
        }
        if (_byHash.Count >= MaxEntries) _byHash.Clear();
        var index = Next++;
        _byHash[h] = new Entry(index, pid, flags, frames.ToArray());
        Written++;
        isNew = true;
        return index;
    }

    /// <summary>FNV-1a over 64-bit words with a final avalanche (splitmix64's finalizer): cheap and well spread.</summary>
    private static ulong Hash(uint pid, int flags, ReadOnlySpan<ulong> frames)
    {
        var h = 0xcbf29ce484222325UL ^ ((ulong)pid << 8) ^ (uint)flags;
        foreach (var f in frames) h = (h ^ f) * 0x100000001b3UL;
        h ^= h >> 30; h *= 0xbf58476d1ce4e5b9UL;
        h ^= h >> 27; h *= 0x94d049bb133111ebUL;
        return h ^ (h >> 31);
    }
}
