using Calltape.Capture.Model;

namespace Calltape.Symbols.Planning;

/// <summary>How rustc 1.63 passes a niche-encoded enum (an Option&lt;String&gt;, Option&lt;&amp;str&gt;, enum { Empty, Named(String) }).</summary>
/// <remarks>
/// rustc 1.63 (rustc_middle/src/ty/layout.rs, layout_of_uncached, the niche-filling branch) fills a niche only when exactly
/// one variant has fields with bytes (TagEncoding::Niche { dataful_variant, .. }) and gives the enum that variant's Abi:
/// Scalar stays Scalar (the niche scalar), ScalarPair stays ScalarPair, anything else is an Aggregate passed by its size.
/// Measured by disassembling rustc 1.63 builds of tests/fixtures/rust/niche.rs at opt-level 0 and 3 (callee entries, and
/// the opt-level 3 call sites in main):
/// - Scalar: Option&lt;Box&lt;i64&gt;&gt; arrives in RDI (`mov rdi,rax`, or `xor edi,edi` for None), the next argument (a
///   u8) in ESI, and comes back in RAX (`xor eax,eax` for None); enum { Nope, Letter(char) } arrives in EDI
///   (`cmp edi,0x110000`), enum { A, B, Has(Kind) } in ESI after it, Option&lt;bool&gt; in DIL (`cmp dil,0x2`).
/// - ScalarPair: Option&lt;&amp;str&gt; and Option&lt;&amp;[i64]&gt; arrive in RDI (data pointer, `test rdi,rdi` for None) and RSI
///   (length), the next argument in RDX, and Option&lt;&amp;str&gt; comes back in RAX:RDX; enum { Off, Unknown, On(u32, char) }
///   (its niche the char at offset 4) after an Option&lt;bool&gt; arrives with the u32 in ESI and the char in EDX, the next
///   argument in RCX, and comes back in EAX and EDX (`mov edx,0x110001` for Unknown): the niche in the second register.
/// - Aggregate over 8 bytes: Option&lt;String&gt;, Option&lt;Vec&lt;i64&gt;&gt;, Result&lt;(), String&gt; and
///   enum { Empty, Named(String) } (24 bytes) arrive by address in RDI (`cmp QWORD PTR [rdi],0`; at the call site
///   `mov rdi,r12` after copying the 24 bytes), the next argument in RSI; as results they are written to the buffer
///   whose address is in RDI (`mov QWORD PTR [rbx],0` for None), which comes back in RAX.
/// A niche layout no smaller than the tagged one is not used: enum { Off, Unknown, On(bool, u32) } comes out tagged (a u8
/// tag at 0, every variant with DW_AT_discr_value). DWARF says which layout rustc chose; only niche-encoded ones come here.
/// </remarks>
internal static partial class RustAbi
{
    /// <summary>True for an Option or Enum whose discriminant is a niche: an Option whose discriminant lies inside its value,
    /// an Enum with a default variant (RustAbiDwarf.Enum; its index in the enum's Count).</summary>
    public static bool IsNiche(TypeDesc t) => t.Kind switch
    {
        TypeKind.Option => t.Fields is [var tag, var value] && tag.Offset < value.Offset + value.Type.Size && value.Offset < tag.Offset + tag.Type.Size,
        TypeKind.Enum => t.Count > 0 && t.Count < t.Fields.Count,
        _ => false,
    };

    /// <summary>The fields with bytes of a niche-encoded enum's dataful variant, at offsets from the enum's start; null when
    /// another variant carries data too (not a layout rustc 1.63 fills a niche in: not modeled).</summary>
    private static List<FieldDesc>? NichePayload(TypeDesc t)
    {
        if (t.Kind == TypeKind.Option) return t.Fields[1].Type.Size > 0 ? [t.Fields[1]] : [];
        var dataful = t.Fields[(int)t.Count];
        for (var k = 1; k < t.Fields.Count; k++)
            if (k != t.Count && t.Fields[k].Type.Fields.Any(f => f.Type.Size > 0)) return null;
        return dataful.Type.Fields.Where(f => f.Type.Size > 0).Select(f => f with { Offset = dataful.Offset + f.Offset }).ToList();
    }

    /// <summary>
    /// A niche-encoded enum's Abi, its dataful variant's: Scalar with one scalar leaf, ScalarPair with two at the offsets
    /// rustc's scalar pair puts them (the second at its own alignment after the first, rustc_middle layout.rs
    /// scalar_pair), else an aggregate by size. Leaves come in memory order (<see cref="NicheScalars"/>).
    /// </summary>
    private static Pass NichePass(TypeDesc t, List<TypeDesc> leaves)
    {
        if (NicheScalars(t) is not { } found)
        {
            // Only a payload known through and through is an aggregate: a nested enum (of unknown kind) may be a scalar
            // that makes the whole a Scalar or ScalarPair, so it is not guessed.
            if (NichePayload(t) is not { } payload || payload.Any(f => Opaque(f.Type, 0))) return Pass.Unknown;
            return AggregatePass(t);
        }
        switch (found)
        {
            case [var one] when one.Offset == 0 && one.Leaf.Size == t.Size:
                leaves.Add(one.Leaf);
                return Pass.Scalar;
            case [var a, var b] when a.Offset == 0 && b.Offset == TypeLayout.AlignUp(a.Leaf.Size, b.Leaf.Size)
                                     && t.Size == TypeLayout.AlignUp(b.Offset + b.Leaf.Size, Math.Max(a.Leaf.Size, b.Leaf.Size)):
                leaves.Add(a.Leaf);
                leaves.Add(b.Leaf);
                return Pass.Pair;
            default:
                return Pass.Unknown; // one or two scalars not where a Scalar or ScalarPair would have them: not guessed
        }
    }

    /// <summary>The scalar leaves of a niche-encoded enum's dataful variant in memory order, each at its offset from the
    /// enum's start (register k holds leaf k of a Scalar or ScalarPair); null when the payload is not one or two scalars.
    /// A &amp;str or &amp;[T] (a String or Slice of 16 bytes, TextPayload) is its data pointer and length.</summary>
    public static List<(int Offset, TypeDesc Leaf)>? NicheScalars(TypeDesc t)
    {
        if (!IsNiche(t) || NichePayload(t) is not { } payload) return null;
        var found = new List<(int, TypeDesc)>();
        foreach (var f in payload)
            if (!ScalarsAt(f.Type, f.Offset, found, 0)) return null;
        return found.Count is 1 or 2 ? found.OrderBy(x => x.Item1).ToList() : null;
    }

    /// <summary>True when a type holds a part of unknown kind (a nested Rust enum, TypeBuilder) whose Abi is not known.</summary>
    private static bool Opaque(TypeDesc t, int depth) =>
        t.Size > 0 && (t.Kind == TypeKind.Unknown || depth > 8
            || (t.Kind is TypeKind.Struct or TypeKind.Enum or TypeKind.Option && t.Fields.Any(f => Opaque(f.Type, depth + 1)))
            || (t.Kind == TypeKind.Array && t.Elem is { } e && Opaque(e, depth + 1)));

    private static bool ScalarsAt(TypeDesc t, int offset, List<(int, TypeDesc)> found, int depth)
    {
        if (t.Size == 0) return true;
        if (depth > 8 || found.Count > 2) return false;
        switch (t.Kind)
        {
            case TypeKind.Int or TypeKind.Uint or TypeKind.Bool or TypeKind.Pointer or TypeKind.Func or TypeKind.Float when t.Size <= 8:
                found.Add((offset, t));
                return true;
            case TypeKind.String or TypeKind.Slice when t is { Size: 16, Fields.Count: 0 }:
                found.Add((offset, new TypeDesc("*const u8", TypeKind.Pointer, 8)));
                found.Add((offset + 8, new TypeDesc("usize", TypeKind.Uint, 8)));
                return true;
            case TypeKind.Struct when t.Fields.Count > 0:
                foreach (var f in t.Fields)
                    if (!ScalarsAt(f.Type, offset + f.Offset, found, depth + 1)) return false;
                return true;
            default:
                return false;
        }
    }

    /// <summary>A Vec in memory as the slice of its elements: a Slice of 16 bytes (no capacity word) whose fields name where
    /// its data pointer and length are; <see cref="ValuePlanner"/> plans it so.</summary>
    private static TypeDesc SliceWords(TypeDesc t, (int Ptr, int Len, TypeDesc Elem) at) => new(t.Name, TypeKind.Slice, 16)
    {
        Elem = at.Elem,
        Fields = [new FieldDesc("ptr", at.Ptr, new TypeDesc("*const u8", TypeKind.Pointer, 8)), new FieldDesc("len", at.Len, new TypeDesc("usize", TypeKind.Uint, 8))],
    };
}
