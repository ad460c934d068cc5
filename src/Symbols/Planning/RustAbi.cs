using Calltape.Capture.Model;

namespace Calltape.Symbols.Planning;

/// <summary>How rustc passes one argument of the plain Rust ABI, and the type its captured pieces decode as.</summary>
/// <param name="Location">Where the argument is at entry, or null when it is not passed (zero-sized) or not modeled.</param>
/// <param name="Type">The type to decode the pieces as (a fat pointer becomes a String or Slice of ptr and length).</param>
/// <param name="NotCaptured">Why no value is captured, or null.</param>
/// <param name="Indirect">The location holds the address of the caller's copy (an aggregate over 8 bytes), not the value.</param>
internal sealed record RustArg(ArgLocation? Location, TypeDesc Type, string? NotCaptured, bool Indirect = false);

/// <summary>
/// The calling convention of Rust functions (the default "Rust" ABI, not extern "C") on x86-64, as rustc 1.63 (Debian bookworm)
/// lowers it to LLVM and LLVM's x86-64 backend assigns registers.
/// </summary>
/// <remarks>
/// Sources, rustc 1.63: rustc_middle/src/ty/layout.rs <c>fn_abi_adjust_for_abi</c> (Rust ABI: an Abi::Aggregate up to
/// one pointer in size is cast to one integer, a larger one passed and returned indirectly; measured on 1.63 at
/// opt-level 3: a 16-byte struct { u32, u64, u8 } and a 16-byte Result&lt;u32, u64&gt; arrive by address in RDI, and come
/// back through a buffer whose address is in RDI; the two-pointer limit of later rustc releases does not apply) and
/// <c>fn_abi_new_uncached</c> (zero-sized arguments are
/// PassMode::Ignore on Linux; Abi::ScalarPair arguments such as &amp;str and &amp;[T] become PassMode::Pair, two separate
/// LLVM parameters). LLVM then gives each integer/pointer parameter the next of RDI, RSI, RDX, RCX, R8, R9, each
/// float/double the next XMM register, an i128 two GPRs or the stack, and spills the rest to 8-byte stack slots in
/// order (the SysV psABI §3.2.3 sequence). An aggregate result over 8 bytes is returned through a hidden pointer in RDI.
/// An enum with a discriminant of its own (RustAbiDwarf) is a Scalar, ScalarPair or Aggregate by rustc's rule
/// (<see cref="EnumPass"/>); a niche-encoded one takes its dataful variant's Abi (<see cref="NichePass"/>); an enum of any
/// other shape is not modeled: it and every argument after it are marked not captured rather than guessed.
/// </remarks>
internal static partial class RustAbi
{
    private const int SseRegisterCount = 8;
    private const int MaxByValue = 8; // one pointer on x86-64 (rustc 1.63 fn_abi_adjust_for_abi)

    /// <summary>True when the function was compiled by rustc: its compile unit's DW_AT_producer names rustc
    /// ("clang LLVM (rustc version 1.63.0)"), which rustc_codegen_llvm/src/debuginfo/metadata.rs writes.</summary>
    public static bool IsRust(FunctionInfo? info) => info?.Producer?.Contains("rustc", StringComparison.Ordinal) == true;

    /// <summary>The Rust-ABI shape of one type.</summary>
    private enum Pass { Ignore, Scalar, Pair, Cast, Indirect, Unknown }

    /// <param name="args">The parameters in declaration order.</param>
    /// <param name="result">The declared result type, or null for ().</param>
    public static RustArg[] Assign(IReadOnlyList<TypeDesc> args, TypeDesc? result)
    {
        var resultPass = result is null ? Pass.Ignore : Classify(result, out _);
        var intUsed = resultPass == Pass.Indirect ? 1 : 0; // the sret pointer is the first LLVM parameter
        var sseUsed = 0;
        long stack = 0;
        string? lost = resultPass == Pass.Unknown ? "the result's passing (a Rust enum) is not modeled" : null;
        var output = new RustArg[args.Count];
        for (var i = 0; i < args.Count; i++)
        {
            var t = args[i];
            var pass = Classify(t, out var leaves);
            if (lost is not null)
            {
                output[i] = new RustArg(null, t, lost);
                continue;
            }
            switch (pass)
            {
                case Pass.Ignore:
                    output[i] = new RustArg(null, t, "zero-sized: not passed");
                    continue;
                case Pass.Unknown:
                    output[i] = new RustArg(null, t, $"passing of {t.Name} (a Rust enum of a layout not modeled, such as a niche-encoded one whose other variants hold data or hold a nested enum, or a union) is not modeled");
                    lost = $"follows {t.Name}, whose passing is not modeled";
                    continue;
            }
            // The LLVM parameters this argument becomes, each true for a float/double (an XMM register).
            bool[] parts = pass switch
            {
                Pass.Scalar or Pass.Pair => leaves.Select(l => l.Kind == TypeKind.Float).ToArray(),
                Pass.Cast => t.Size > 8 ? [false, false] : [false],
                _ => [false], // Indirect: the address of the caller's copy
            };
            var needInt = parts.Count(f => !f);
            var needSse = parts.Length - needInt;
            var decodeAs = DecodeType(t, pass);
            if (pass == Pass.Cast && t.Size > 8)
            {
                // An i128-like cast takes two GPRs or goes to the stack whole (LLVM X86 CC_X86_64_C).
                if (intUsed + 2 <= Abis.SysVIntArgs.Length)
                {
                    output[i] = new RustArg(ArgLocation.InRegisters([Abis.SysVIntArgs[intUsed], Abis.SysVIntArgs[intUsed + 1]], 0), decodeAs, null);
                    intUsed += 2;
                }
                else
                {
                    stack = TypeLayout.AlignUp(stack, 16);
                    output[i] = new RustArg(ArgLocation.Stack(stack), decodeAs, null);
                    stack += 16;
                }
                continue;
            }
            // Each part of a scalar or pair independently takes a register of its class, else the next stack slot.
            var ints = new List<Reg>();
            var floats = 0;
            long firstSlot = -1;
            var spilled = false;
            foreach (var isFloat in parts)
            {
                if (isFloat ? sseUsed < SseRegisterCount : intUsed < Abis.SysVIntArgs.Length)
                {
                    if (isFloat) { sseUsed++; floats++; }
                    else ints.Add(Abis.SysVIntArgs[intUsed++]);
                    continue;
                }
                if (firstSlot < 0) firstSlot = stack;
                stack += 8;
                spilled = true;
            }
            if (pass == Pass.Indirect) output[i] = new RustArg(spilled ? ArgLocation.Stack(firstSlot) : ArgLocation.InRegisters(ints, 0), t, null, Indirect: true);
            else if (!spilled) output[i] = new RustArg(ArgLocation.InRegisters(ints, floats), decodeAs, null);
            else if (ints.Count == 0 && floats == 0) output[i] = new RustArg(ArgLocation.Stack(firstSlot), decodeAs, null); // wholly in stack slots
            else output[i] = new RustArg(null, t, "split between registers and the stack"); // a pair straddling both
        }
        return output;
    }

    /// <summary>The result as the exit probe reads it: RAX (and RDX for a pair or an i128), or why not.</summary>
    public static (TypeDesc Type, IReadOnlyList<Reg>? Registers, string? NotCaptured) Result(TypeDesc t)
    {
        var pass = Classify(t, out var leaves);
        return pass switch
        {
            Pass.Ignore => (t, null, "zero-sized"),
            Pass.Indirect => (t, null, "returned in memory"),
            Pass.Unknown => (t, null, $"returning {t.Name} (a Rust enum of a layout not modeled, or a union) is not modeled"),
            _ when leaves.Any(l => l.Kind == TypeKind.Float) => (t, null, "float register"),
            // A pair is two LLVM values whatever its size ({i32, i32} too): RAX then RDX. A cast is one integer of its size.
            Pass.Pair => (DecodeType(t, pass), [Reg.Rax, Reg.Rdx], null),
            Pass.Cast when t.Size > 8 => (DecodeType(t, pass), [Reg.Rax, Reg.Rdx], null),
            _ => (DecodeType(t, pass), [Reg.Rax], null),
        };
    }

    /// <summary>True when rustc returns the value through a caller's buffer (an aggregate over 8 bytes: PassMode::Indirect).</summary>
    public static bool ReturnsInMemory(TypeDesc t) => Classify(t, out _) == Pass.Indirect;

    /// <summary>A Rust reference (&amp;T, &amp;mut T: rustc names the pointer type "&amp;T") or an Option of one or of a Box (rustc
    /// 1.63 describes Box&lt;T&gt; as a plain "T *", so only the Option's name tells): never dangling, so worth following.</summary>
    public static bool IsReference(TypeDesc t) =>
        t.Kind == TypeKind.Pointer && (t.Name.StartsWith('&') || t.Name.StartsWith("Option<&", StringComparison.Ordinal)
            || t.Name.StartsWith("Option<alloc::boxed::Box<", StringComparison.Ordinal));

    /// <summary>True for a two-scalar struct (ScalarPair: one register per field); false for one cast to an integer.</summary>
    public static bool IsPair(TypeDesc t) => Classify(t, out _) == Pass.Pair;

    /// <summary>
    /// Where a Rust String (alloc::string::String, 24 bytes) keeps its data pointer and length: String { vec: Vec&lt;u8&gt;
    /// { buf: RawVec { ptr, cap }, len } } in library/alloc (1.63), at the offsets DWARF gives, since rustc may reorder
    /// fields. Null for any other type or shape.
    /// </summary>
    public static (int Ptr, int Len)? StringLayout(TypeDesc t)
    {
        if (t.Kind != TypeKind.Struct || t.Name is not ("String" or "alloc::string::String")) return null;
        var vec = t.Fields.FirstOrDefault(f => f.Name == "vec");
        return vec is not null && VecWords(vec.Type, vec.Offset) is { } w ? (w.Ptr, w.Len) : null;
    }

    /// <summary>
    /// A Rust Vec&lt;T&gt; (alloc::vec::Vec, 24 bytes): where it keeps its element pointer and length (Vec { buf: RawVec
    /// { ptr: Unique&lt;T&gt;, cap }, len } in library/alloc 1.63, offsets from DWARF) and the element type as its
    /// elements decode (a &amp;str a String, a &amp;[T] a Slice). Null for any other type or shape.
    /// </summary>
    public static (int Ptr, int Len, TypeDesc Elem)? VecLayout(TypeDesc t)
    {
        if (t.Kind != TypeKind.Struct || !(t.Name.StartsWith("Vec<", StringComparison.Ordinal) || t.Name.StartsWith("alloc::vec::Vec<", StringComparison.Ordinal)))
            return null;
        if (VecWords(t, 0) is not { } w || w.Elem is not { } elem) return null;
        return (w.Ptr, w.Len, StringLayout(elem) is { } text ? StringWords(elem, text) : DecodeType(elem, Classify(elem, out _)));
    }

    /// <summary>
    /// An enum variant's payload with its Rust texts as text: a String (where DWARF places its data pointer and length)
    /// and a &amp;str ({data_ptr, length}) become strings, a Vec or a &amp;[T] the slice of its elements, inside nested structs too; a nested field-less struct (a
    /// niche-encoded enum) is of unknown kind, so it is marked; everything else stays as it is.
    /// </summary>
    public static TypeDesc TextPayload(TypeDesc t, int depth = 0)
    {
        if (StringLayout(t) is { } text) return StringWords(t, text);
        if (VecLayout(t) is { } vec) return SliceWords(t, vec);
        if (t is { Kind: TypeKind.Struct, Size: 16, Name: "&str" or "&mut str", Fields: [{ Name: "data_ptr", Offset: 0 }, { Name: "length", Offset: 8 }] })
            return new TypeDesc(t.Name, TypeKind.String, 16);
        if (t is { Kind: TypeKind.Struct, Size: 16, Fields: [{ Name: "data_ptr", Offset: 0, Type: { Kind: TypeKind.Pointer } data }, { Name: "length", Offset: 8 }] }
            && (t.Name.StartsWith("&[", StringComparison.Ordinal) || t.Name.StartsWith("&mut [", StringComparison.Ordinal)))
            return new TypeDesc(t.Name, TypeKind.Slice, 16) { Elem = data.Elem };
        // A field-less struct with bytes inside a payload is a niche-encoded enum or a union: not an empty object.
        if (t is { Kind: TypeKind.Struct, Fields.Count: 0, Size: > 0 } && depth > 0) return t with { Kind = TypeKind.Unknown };
        if (t.Kind != TypeKind.Struct || depth >= 8 || t.Fields.Count == 0) return t;
        return t with { Fields = t.Fields.Select(f => f with { Type = TextPayload(f.Type, depth + 1) }).ToArray() };
    }

    /// <summary>A String element in memory as text: a String whose fields name where its data pointer and length are
    /// (not at words 0 and 1, where TreeDecoder reads a string without a tree); <see cref="ValuePlanner"/> plans it so.</summary>
    private static TypeDesc StringWords(TypeDesc t, (int Ptr, int Len) at) => new(t.Name, TypeKind.String, t.Size)
    {
        Fields = [new FieldDesc("ptr", at.Ptr, new TypeDesc("*const u8", TypeKind.Pointer, 8)), new FieldDesc("len", at.Len, new TypeDesc("usize", TypeKind.Uint, 8))],
    };

    /// <summary>The data pointer's and length's offsets in a Vec's shape (at <paramref name="at"/>) and the pointer's target.</summary>
    private static (int Ptr, int Len, TypeDesc? Elem)? VecWords(TypeDesc vec, int at)
    {
        var buf = vec.Fields.FirstOrDefault(f => f.Name == "buf");
        var len = vec.Fields.FirstOrDefault(f => f.Name == "len");
        var ptr = buf?.Type.Fields.FirstOrDefault(f => f.Name == "ptr");
        if (buf is null || len is null || ptr is null || len.Type is not { Kind: TypeKind.Uint, Size: 8 }) return null;
        return FirstPointer(ptr.Type, at + buf.Offset + ptr.Offset) is { } p ? (p.Offset, at + len.Offset, p.Type.Elem) : null;
    }

    /// <summary>The raw pointer inside Unique&lt;T&gt; { pointer: NonNull&lt;T&gt; { pointer: *const T }, _marker } and its offset.</summary>
    private static (int Offset, TypeDesc Type)? FirstPointer(TypeDesc t, int offset)
    {
        if (t.Kind == TypeKind.Pointer && t.Size == 8) return (offset, t);
        if (t.Kind != TypeKind.Struct) return null;
        foreach (var f in t.Fields)
            if (f.Type.Size > 0 && FirstPointer(f.Type, offset + f.Offset) is { } p) return p;
        return null;
    }

    /// <summary>Rust's ABI class for a type, with the scalar leaves of a Scalar or ScalarPair.</summary>
    private static Pass Classify(TypeDesc t, out List<TypeDesc> leaves)
    {
        leaves = [];
        if (t.Size == 0) return Pass.Ignore;
        if (IsNullablePointer(t))
        {
            leaves.Add(new TypeDesc(t.Name, TypeKind.Pointer, 8));
            return Pass.Scalar;
        }
        // An i128 or u128 is Abi::Scalar, not an aggregate: one 16-byte LLVM integer, two GPRs or the stack; so is a
        // struct around one (its only field with bytes).
        if (IsWideScalar(t, 0)) return Pass.Cast;
        if (IsNiche(t)) return NichePass(t, leaves);
        if (t.Kind == TypeKind.Enum) return EnumPass(t, leaves);
        // A Rust enum DWARF describes but no Option/Enum kind models (a niche-encoded one) is of unknown kind (TypeBuilder).
        if (!Leaves(t, leaves)) return t.Kind is TypeKind.Unknown || (t.Kind is TypeKind.Struct && t.Fields.Count == 0) ? Pass.Unknown : AggregatePass(t);
        return leaves.Count switch
        {
            1 => Pass.Scalar,
            2 => Pass.Pair,
            _ => AggregatePass(t),
        };
    }

    private static Pass AggregatePass(TypeDesc t) => t.Size > MaxByValue ? Pass.Indirect : Pass.Cast;

    /// <summary>
    /// A tagged enum's Abi as rustc 1.63 computes it (rustc_middle/src/ty/layout.rs, layout_of_enum, the tagged branch):
    /// Scalar when it is only its tag; ScalarPair (tag, value) when every variant carrying data holds exactly one non-zero-sized
    /// field, each a scalar of the same primitive at the same offset, placed where the pair's own layout would put it; else
    /// Aggregate, passed like any aggregate by its size.
    /// </summary>
    private static Pass EnumPass(TypeDesc t, List<TypeDesc> leaves)
    {
        var tag = t.Fields.Count > 1 ? t.Fields[0] : null;
        if (tag is null || tag.Offset != 0 || tag.Type.Kind is not (TypeKind.Int or TypeKind.Uint) || tag.Type.Size is < 1 or > 8) return Pass.Unknown;
        (TypeDesc Leaf, int Offset)? common = null;
        var any = false;
        foreach (var variant in t.Fields.Skip(1))
        {
            var data = variant.Type.Fields.Where(f => f.Type.Size > 0).ToList();
            if (data.Count == 0) continue;
            // A 16-byte scalar payload would make a pair of a different shape (tag, i128): not modeled.
            if (data.Count == 1 && IsWideScalar(data[0].Type, 0)) return Pass.Unknown;
            var one = new List<TypeDesc>();
            // A field whose Abi is Scalar: one scalar leaf filling it (a newtype around a scalar too; arrays never are).
            if (data.Count > 1 || !Leaves(data[0].Type, one) || one.Count != 1 || one[0].Size != data[0].Type.Size) return AggregatePass(t);
            var here = (one[0], variant.Offset + data[0].Offset);
            if (any && (common is not { } c || c.Offset != here.Item2 || Primitive(c.Leaf) != Primitive(one[0]))) common = null;
            else if (!any) common = here;
            any = true;
        }
        if (!any)
        {
            if (t.Size != tag.Type.Size) return AggregatePass(t);
            leaves.Add(tag.Type);
            return Pass.Scalar;
        }
        if (common is not { } pair) return AggregatePass(t);
        var size = pair.Leaf.Size; // x86-64 scalars up to 8 bytes are aligned to their size
        if (pair.Offset != TypeLayout.AlignUp(tag.Type.Size, size) || t.Size != TypeLayout.AlignUp(pair.Offset + size, Math.Max(size, tag.Type.Size)))
            return AggregatePass(t);
        leaves.Add(tag.Type);
        leaves.Add(pair.Leaf);
        return Pass.Pair;
    }

    /// <summary>An i128 or u128, or a struct whose only field with bytes is one (Abi::Scalar of 16 bytes).</summary>
    private static bool IsWideScalar(TypeDesc t, int depth) =>
        t.Size == 16 && (t.Kind is TypeKind.Int or TypeKind.Uint
            || (t.Kind == TypeKind.Struct && depth < 8 && t.Fields.Where(f => f.Type.Size > 0).ToList() is [var only] && IsWideScalar(only.Type, depth + 1)));

    /// <summary>rustc's Primitive of a scalar: an integer of a size and signedness (bool is u8), a pointer (fn pointers too), a float.</summary>
    private static (TypeKind, int) Primitive(TypeDesc t) => t.Kind switch
    {
        TypeKind.Bool => (TypeKind.Uint, t.Size),
        TypeKind.Func => (TypeKind.Pointer, t.Size),
        _ => (t.Kind, t.Size),
    };

    /// <summary>Collects scalar leaves through structs (zero-sized fields skipped); false for arrays and anything else.</summary>
    private static bool Leaves(TypeDesc t, List<TypeDesc> leaves)
    {
        if (t.Size == 0) return true;
        if (IsNullablePointer(t))
        {
            leaves.Add(new TypeDesc(t.Name, TypeKind.Pointer, 8));
            return true;
        }
        switch (t.Kind)
        {
            case TypeKind.Int or TypeKind.Uint or TypeKind.Bool or TypeKind.Pointer or TypeKind.Func or TypeKind.Float when t.Size <= 8:
                leaves.Add(t);
                return true;
            // A tagged enum: its tag, or its tag and value, when rustc makes it a Scalar or ScalarPair.
            case TypeKind.Enum:
                var inner = new List<TypeDesc>();
                if (EnumPass(t, inner) is not (Pass.Scalar or Pass.Pair)) return false;
                leaves.AddRange(inner);
                return true;
            // An Option with its own discriminant: Abi::ScalarPair (discriminant, value) when the value is one scalar.
            case TypeKind.Struct or TypeKind.Option when t.Fields.Count > 0:
                foreach (var f in t.Fields)
                    if (!Leaves(f.Type, leaves)) return false;
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Option of a reference, Box or NonNull: one pointer where None is null (the "nullable pointer optimization"
    /// Rust guarantees: std::option docs, "Representation"). rustc's DWARF names it "Option&lt;&amp;T&gt;".
    /// </summary>
    private static bool IsNullablePointer(TypeDesc t) =>
        t.Kind == TypeKind.Struct && t.Size == 8
        && (t.Name.StartsWith("Option<&", StringComparison.Ordinal)
            || t.Name.StartsWith("Option<alloc::boxed::Box<", StringComparison.Ordinal)
            || t.Name.StartsWith("Option<core::ptr::non_null::NonNull<", StringComparison.Ordinal));

    /// <summary>&amp;str and &amp;[T] are (data_ptr, length) pairs: a String or Slice; Option&lt;&amp;T&gt; a pointer.</summary>
    private static TypeDesc DecodeType(TypeDesc t, Pass pass)
    {
        if (IsNullablePointer(t)) return new TypeDesc(t.Name, TypeKind.Pointer, 8);
        if (pass != Pass.Pair || t.Kind != TypeKind.Struct || t.Fields.Count != 2) return t;
        if (t.Fields[0].Name != "data_ptr" || t.Fields[1].Name != "length") return t;
        var name = t.Name.StartsWith("&mut ", StringComparison.Ordinal) ? t.Name[5..] : t.Name.TrimStart('&');
        if (name == "str") return new TypeDesc(t.Name, TypeKind.String, 16);
        if (name.StartsWith('[') && name.EndsWith(']'))
            return new TypeDesc(t.Name, TypeKind.Slice, 16) { Elem = t.Fields[0].Type.Elem };
        return t;
    }
}
