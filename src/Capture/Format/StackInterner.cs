using Calltape.Capture.Model;

namespace Calltape.Capture.Format;

/// <summary>Gives every distinct user stack of a capture one id, whichever chunk (or re-emission) defined it.</summary>
internal sealed class StackInterner
{
    private readonly Dictionary<Key, UserStack> _byContent = [];
    private readonly List<UserStack> _all = [];

    public IReadOnlyList<UserStack> All => _all;

    public UserStack Intern(uint pid, StackFlags flags, ulong[] frames)
    {
        var key = new Key(pid, flags, frames);
        if (_byContent.TryGetValue(key, out var known)) return known;
        var s = new UserStack(_all.Count, pid, flags, frames);
        _all.Add(s);
        _byContent.Add(key, s);
        return s;
    }

    private readonly record struct Key(uint Pid, StackFlags Flags, ulong[] Frames)
    {
        public bool Equals(Key other) => Pid == other.Pid && Flags == other.Flags && Frames.AsSpan().SequenceEqual(other.Frames);

        public override int GetHashCode()
        {
            var h = new HashCode();
            h.Add(Pid); h.Add(Flags);
            foreach (var f in Frames) h.Add(f);
            return h.ToHashCode();
        }
    }
}
