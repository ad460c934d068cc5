using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Calltape.Capture.Model;

namespace Calltape.Capture.Format;

/// <summary>Decodes one event item straight from the chunk bytes, for the encodings <see cref="CaptureWriter"/> emits.</summary>
/// <remarks>
/// MessagePackReader over a ReadOnlySequence costs more per event than all of the analyzer's decoding at millions of
/// events per second. This parser handles the common shapes only and never throws: anything else (a control item, an
/// unusual encoding, a plan mismatch, a torn tail) returns false without side effects, and <see cref="CaptureReader"/>
/// reads the item the general way, which keeps its errors and warnings exactly as they were.
/// </remarks>
internal static class FastEventParser
{
    /// <summary>What an event of one probe holds, read once from its plan: the per-event path then makes no interface
    /// calls on the plan's lists (they were 1% of convert's samples).</summary>
    internal readonly record struct Shape(int Registers, bool Stack, int Derefs, bool UserStack)
    {
        /// <summary>The shape of an id no probe has: no event matches it.</summary>
        public static Shape None => new(-1, false, 0, false);

        /// <summary>Array elements of an event item: tag, ktime delta, thread, then the captured parts.</summary>
        public int Elements => 3 + Registers + (Stack ? 1 : 0) + Derefs + (UserStack ? 1 : 0);

        public static Shape Of(CapturePlan plan) => new(plan.Registers.Count, plan.StackLen > 0, plan.Derefs.Count, plan.UserStack > 0);
    }

    /// <param name="shapes">Per probe id, its <see cref="Shape"/>, or <see cref="Shape.None"/>.</param>
    public static bool TryRead(ReadOnlySpan<byte> s, Shape[] shapes, List<(uint Pid, uint Tid)> threads, List<UserStack> stacks, ref ulong ktime,
        out RawEvent? ev, out int consumed)
    {
        ev = null;
        consumed = 0;
        if (s.Length < 4 || (s[0] & 0xf0) != 0x90) return false; // fixarray: an event has 3..15 elements
        var n = s[0] & 0x0f;
        var p = 1;
        if (!TryInt(s, ref p, out var tag) || tag < 0 || tag >= shapes.Length) return false;
        var shape = shapes[tag];
        if (shape.Registers < 0 || n != shape.Elements) return false;
        if (!TryInt(s, ref p, out var dt) || !TryInt(s, ref p, out var t) || (ulong)t >= (ulong)threads.Count) return false;
        var regs = shape.Registers == 0 ? [] : new ulong[shape.Registers];
        for (var i = 0; i < regs.Length; i++)
        {
            if (TryInt(s, ref p, out var v))
            {
                if (v < 0) return false; // a negative signed encoding: the general path rejects it
            }
            else if (!TryUInt64(s, ref p, out v)) return false;
            regs[i] = (ulong)v;
        }
        byte[]? stack = null;
        if (shape.Stack)
        {
            if (p < s.Length && s[p] == 0xc0) p++;
            else if (!TryBin(s, ref p, out stack)) return false;
        }
        var derefs = shape.Derefs == 0 ? [] : new DerefData[shape.Derefs];
        for (var i = 0; i < derefs.Length; i++)
        {
            if (p >= s.Length) return false;
            if (s[p] == 0x92)
            {
                p++;
                if (!TryBin(s, ref p, out var capped) || !TryInt(s, ref p, out var want)) return false;
                derefs[i] = new DerefData(capped!, want, 0);
            }
            else if (TryBin(s, ref p, out var data)) derefs[i] = new DerefData(data!, data!.Length, 0);
            else if (TryInt(s, ref p, out var err) && err is >= int.MinValue and <= int.MaxValue) derefs[i] = new DerefData([], 0, (int)err);
            else return false;
        }
        UserStack? user = null;
        if (shape.UserStack)
        {
            if (p < s.Length && s[p] == 0xc0) p++;
            else if (!TryInt(s, ref p, out var si) || si < 0 || si >= stacks.Count) return false;
            else user = stacks[(int)si];
        }
        ktime += (ulong)dt;
        consumed = p;
        var (pid, tid) = threads[(int)t];
        ev = new RawEvent((int)tag, ktime, pid, tid, regs, stack, derefs) { UserStack = user };
        return true;
    }

    /// <summary>An integer that fits a long (every encoding except uint64 above long.MaxValue); p advances only on success.</summary>
    /// <remarks>Inlined for the one-byte encodings (tags, thread indexes, small values: most integers of a record);
    /// the call into the rest was 3% of convert's samples.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryInt(ReadOnlySpan<byte> s, ref int p, out long v)
    {
        if ((uint)p < (uint)s.Length && s[p] <= 0x7f)
        {
            v = s[p];
            p++;
            return true;
        }
        return TryWideInt(s, ref p, out v);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryWideInt(ReadOnlySpan<byte> s, ref int p, out long v)
    {
        v = 0;
        if (p >= s.Length) return false;
        var b = s[p];
        if (b <= 0x7f) { v = b; p++; return true; }
        if (b >= 0xe0) { v = (sbyte)b; p++; return true; }
        var rest = s[(p + 1)..];
        switch (b)
        {
            case 0xcc when rest.Length >= 1: v = rest[0]; p += 2; return true;
            case 0xcd when rest.Length >= 2: v = BinaryPrimitives.ReadUInt16BigEndian(rest); p += 3; return true;
            case 0xce when rest.Length >= 4: v = BinaryPrimitives.ReadUInt32BigEndian(rest); p += 5; return true;
            case 0xd0 when rest.Length >= 1: v = (sbyte)rest[0]; p += 2; return true;
            case 0xd1 when rest.Length >= 2: v = BinaryPrimitives.ReadInt16BigEndian(rest); p += 3; return true;
            case 0xd2 when rest.Length >= 4: v = BinaryPrimitives.ReadInt32BigEndian(rest); p += 5; return true;
            case 0xd3 when rest.Length >= 8: v = BinaryPrimitives.ReadInt64BigEndian(rest); p += 9; return true;
            case 0xcf when rest.Length >= 8 && BinaryPrimitives.ReadUInt64BigEndian(rest) <= long.MaxValue:
                v = (long)BinaryPrimitives.ReadUInt64BigEndian(rest); p += 9; return true;
            default: return false;
        }
    }

    /// <summary>A uint64 above long.MaxValue (0xcf), returned as its bit pattern.</summary>
    private static bool TryUInt64(ReadOnlySpan<byte> s, ref int p, out long v)
    {
        v = 0;
        if (p + 9 > s.Length || s[p] != 0xcf) return false;
        v = (long)BinaryPrimitives.ReadUInt64BigEndian(s[(p + 1)..]);
        p += 9;
        return true;
    }

    private static bool TryBin(ReadOnlySpan<byte> s, ref int p, out byte[]? bytes)
    {
        bytes = null;
        if (p >= s.Length) return false;
        int len, head;
        switch (s[p])
        {
            case 0xc4 when p + 2 <= s.Length: len = s[p + 1]; head = 2; break;
            case 0xc5 when p + 3 <= s.Length: len = BinaryPrimitives.ReadUInt16BigEndian(s[(p + 1)..]); head = 3; break;
            case 0xc6 when p + 5 <= s.Length:
                var l = BinaryPrimitives.ReadUInt32BigEndian(s[(p + 1)..]);
                if (l > int.MaxValue) return false;
                len = (int)l; head = 5; break;
            default: return false;
        }
        if (p + head + len > s.Length) return false;
        bytes = s.Slice(p + head, len).ToArray();
        p += head + len;
        return true;
    }
}
