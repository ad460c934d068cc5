using Calltape.Capture.Model;

namespace Calltape.Symbols.Planning;

/// <summary>Assigns C arguments per the System V AMD64 psABI §3.2.3 ("Parameter Passing"): six INTEGER registers,
/// eight SSE registers, aggregates over 16 bytes and x87 types in memory (the stack), eightbyte slots.</summary>
internal static class SysVAbi
{
    private const int SseRegisterCount = 8;

    /// <param name="args">The parameters in order.</param>
    /// <param name="returnsInMemory">True when the result is MEMORY class: its hidden pointer takes RDI first.</param>
    public static ArgLocation[] Assign(IReadOnlyList<TypeDesc> args, bool returnsInMemory)
    {
        var result = new ArgLocation[args.Count];
        var intUsed = returnsInMemory ? 1 : 0;
        var sseUsed = 0;
        long stack = 0;
        for (var i = 0; i < args.Count; i++)
        {
            var classes = Classify(args[i]);
            var needInt = classes?.Count(c => !c) ?? 0;
            var needSse = classes?.Count(c => c) ?? 0;
            if (classes is not null && intUsed + needInt <= Abis.SysVIntArgs.Length && sseUsed + needSse <= SseRegisterCount)
            {
                var ints = new List<Reg>();
                foreach (var sse in classes)
                    if (!sse) ints.Add(Abis.SysVIntArgs[intUsed++]);
                sseUsed += needSse;
                result[i] = ArgLocation.InRegisters(ints, needSse);
            }
            else
            {
                // Memory-class or no registers left: the whole argument goes to the next eightbyte-aligned slot
                // (psABI: "aligned to 8 bytes, or 16 for types that need it").
                stack = TypeLayout.AlignUp(stack, Math.Max(8, TypeLayout.Align(args[i])));
                result[i] = ArgLocation.Stack(stack);
                stack += TypeLayout.AlignUp(Math.Max(args[i].Size, 1), 8);
            }
        }
        return result;
    }

    /// <summary>True when a MEMORY-class result forces a hidden pointer argument in RDI.</summary>
    public static bool ReturnsInMemory(TypeDesc? result) => result is not null && Classify(result) is null;

    /// <summary>One flag per eightbyte (true = SSE, false = INTEGER), or null for MEMORY class.</summary>
    internal static bool[]? Classify(TypeDesc t)
    {
        if (t.Size == 0 || t.Size > 16) return null;
        if (t.Kind == TypeKind.Float && t.Size > 8) return null; // long double: X87 class, passed in memory
        var n = (t.Size + 7) / 8;
        var anyInt = new bool[n];
        var anyLeaf = new bool[n];
        if (!Leaves(t, 0, anyInt, anyLeaf)) return null;
        var result = new bool[n];
        for (var i = 0; i < n; i++) result[i] = anyLeaf[i] && !anyInt[i];
        return result;
    }

    /// <summary>Marks which eightbytes hold integer and which hold float leaves; false for unclassifiable parts.</summary>
    private static bool Leaves(TypeDesc t, long offset, bool[] anyInt, bool[] anyLeaf)
    {
        switch (t.Kind)
        {
            case TypeKind.Struct:
                foreach (var f in t.Fields)
                {
                    // A bit-field is INTEGER class in whichever eightbytes its bits touch; it need not be aligned.
                    if (f.BitSize != 0)
                    {
                        var first = offset + f.Offset + Math.Max(f.BitOffset, 0) / 8;
                        if (!Mark(first, (Math.Max(f.BitOffset, 0) % 8 + f.BitSize + 7) / 8, anyLeaf, anyInt)) return false;
                        continue;
                    }
                    if (!Leaves(f.Type, offset + f.Offset, anyInt, anyLeaf)) return false;
                }
                return true;
            case TypeKind.Array when t.Elem is not null:
                for (long k = 0; k < t.Count; k++)
                    if (!Leaves(t.Elem, offset + k * t.Elem.Size, anyInt, anyLeaf)) return false;
                return true;
            // psABI §3.2.3: "If an object has unaligned fields, it has class MEMORY" (packed structs).
            case TypeKind.Float when t.Size <= 8:
                return offset % TypeLayout.Align(t) == 0 && Mark(offset, t.Size, anyLeaf, null);
            case TypeKind.Bool or TypeKind.Int or TypeKind.Uint or TypeKind.Pointer:
                return offset % TypeLayout.Align(t) == 0 && Mark(offset, t.Size, anyLeaf, anyInt);
            default:
                return false;
        }
    }

    private static bool Mark(long offset, int size, bool[] anyLeaf, bool[]? anyInt)
    {
        var first = offset / 8;
        var last = (offset + Math.Max(size, 1) - 1) / 8;
        if (first < 0 || last >= anyLeaf.Length) return false;
        for (var e = first; e <= last; e++)
        {
            anyLeaf[e] = true;
            if (anyInt is not null) anyInt[e] = true;
        }
        return true;
    }
}
