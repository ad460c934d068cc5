using Calltape.Capture.Model;

namespace Calltape.Symbols.Planning;

/// <summary>Assigns Go arguments to registers or stack per the Go internal ABI (abi-internal.md, "Function call
/// argument and result passing" and the amd64 section: 9 integer registers, 15 float registers X0–X14).</summary>
internal static class GoRegisterAbi
{
    private const int FloatRegisterCount = 15;

    /// <summary>Locations for the arguments (results excluded: they are not arguments at entry).</summary>
    public static ArgLocation[] Assign(IReadOnlyList<TypeDesc> args)
    {
        var result = new ArgLocation[args.Count];
        int intUsed = 0, floatUsed = 0;
        long stack = 0;
        for (var i = 0; i < args.Count; i++)
        {
            var ints = new List<Reg>();
            int tryInt = intUsed, tryFloat = floatUsed;
            if (TryRegisters(args[i], ref tryInt, ref tryFloat, ints))
            {
                // The spec's "reset I and FP" on failure is implicit: only a success commits the counters.
                result[i] = ArgLocation.InRegisters(ints, tryFloat - floatUsed);
                intUsed = tryInt;
                floatUsed = tryFloat;
            }
            else
            {
                // A failed parameter goes to the stack, laid out like a struct field; later parameters may still
                // get registers (the spec assigns each value independently).
                stack = TypeLayout.AlignUp(stack, TypeLayout.Align(args[i]));
                result[i] = ArgLocation.Stack(stack);
                stack += args[i].Size;
            }
        }
        return result;
    }

    /// <summary>Register-assigns a value recursively; false when it does not fit or has a type the spec sends to the stack.</summary>
    private static bool TryRegisters(TypeDesc t, ref int intUsed, ref int floatUsed, List<Reg> ints)
    {
        switch (t.Kind)
        {
            case TypeKind.Bool or TypeKind.Int or TypeKind.Uint or TypeKind.Pointer or TypeKind.Map or TypeKind.Chan or TypeKind.Func:
                return TakeInt(ref intUsed, ints);
            case TypeKind.Float:
                if (floatUsed >= FloatRegisterCount) return false;
                floatUsed++;
                return true;
            case TypeKind.String: // [*byte, int]
                return TakeInt(ref intUsed, ints) && TakeInt(ref intUsed, ints);
            case TypeKind.Slice: // [*T, int, int]
                return TakeInt(ref intUsed, ints) && TakeInt(ref intUsed, ints) && TakeInt(ref intUsed, ints);
            case TypeKind.Interface: // [*uint8 (type or itab), *uint8 (data)]
                return TakeInt(ref intUsed, ints) && TakeInt(ref intUsed, ints);
            case TypeKind.Array:
                if (t.Count == 0) return true;
                if (t.Count == 1 && t.Elem is not null) return TryRegisters(t.Elem, ref intUsed, ref floatUsed, ints);
                return false; // arrays of length > 1 are always stack-assigned
            case TypeKind.Struct:
                foreach (var f in t.Fields)
                    if (!TryRegisters(f.Type, ref intUsed, ref floatUsed, ints)) return false;
                return true;
            default:
                return false;
        }
    }

    private static bool TakeInt(ref int intUsed, List<Reg> ints)
    {
        if (intUsed >= Abis.GoIntArgs.Length) return false;
        ints.Add(Abis.GoIntArgs[intUsed++]);
        return true;
    }
}
