namespace Calltape.Capture.Model;

/// <summary>The kinds of value Calltape knows how to decode.</summary>
public enum TypeKind : byte
{
    Unknown = 0, Int, Uint, Bool, Float, Pointer, String, Slice, Struct, Array, Interface, Map, Chan, Func,
    /// <summary>A tagged optional value (a Rust Option&lt;T&gt;): Fields[0] is the discriminant (a member of its own, or a
    /// niche inside the value, which it then overlaps), Fields[1] the value, Count the discriminant of None. Decodes as
    /// the value, or null for None.</summary>
    Option,
    /// <summary>A tagged enum (a Rust enum described by a variant part, DWARF 5 §5.7.10): Fields[0] is the
    /// discriminant, each further field one variant (its name, its payload as a struct whose <see cref="TypeDesc.Count"/>
    /// is the variant's discriminant value and whose fields are at offsets from the enum's start). A niche-encoded enum's
    /// own Count is the field index of its default variant (payload Count -1), which any other discriminant value
    /// selects; 0 when there is none.</summary>
    Enum,
}

/// <summary>A parameter's type, reduced to what capture planning and decoding need.</summary>
/// <param name="Name">The source name (int64, string, *main.Order).</param>
/// <param name="Kind">What it is.</param>
/// <param name="Size">Its size in bytes.</param>
public sealed record TypeDesc(string Name, TypeKind Kind, int Size)
{
    /// <summary>Struct fields, in order; for an option its discriminant and value; for a string whose data pointer and
    /// length are not words 0 and 1 (a Rust String), "ptr" and "len" at their offsets, which the value tree's parts
    /// already point at; empty for other kinds.</summary>
    public IReadOnlyList<FieldDesc> Fields { get; init; } = [];

    /// <summary>The element type of a pointer, slice, array or channel.</summary>
    public TypeDesc? Elem { get; init; }

    /// <summary>The element count of an array; for an <see cref="TypeKind.Option"/>, the discriminant value of None; for
    /// an <see cref="TypeKind.Enum"/>, the field index of its default variant (0: none); for the payload struct of an
    /// Enum variant, that variant's discriminant value (-1 for the default variant).</summary>
    public long Count { get; init; }

    /// <summary>Go's empty interface, whose first word is a *_type rather than an *itab: the gc compiler describes it as
    /// runtime.eface, whose first field is _type (runtime/runtime2.go).</summary>
    public bool IsEmptyInterface =>
        Kind == TypeKind.Interface && (Fields.Count > 0 ? Fields[0].Name == "_type" : Name is "interface {}" or "interface{}" or "any");

    /// <summary>True when an interface is anywhere in this type (its fields or elements, to a depth of 8): decoding it
    /// needs the binary's dynamic-type names, and in a position-independent binary the load bias.</summary>
    public bool ContainsInterface() => ContainsInterface(0);

    private bool ContainsInterface(int depth) =>
        Kind == TypeKind.Interface
        || (depth < 8 && (Fields.Any(f => f.Type.ContainsInterface(depth + 1)) || (Elem is not null && Elem.ContainsInterface(depth + 1))));
}

/// <summary>One field of a struct type.</summary>
public sealed record FieldDesc(string Name, int Offset, TypeDesc Type)
{
    /// <summary>For a C bit-field, its width in bits (DW_AT_bit_size): it shares bytes with its neighbours, so the
    /// decoder reads its bits, not Type.Size bytes at Offset; 0 for ordinary fields.</summary>
    public int BitSize { get; init; }

    /// <summary>For a bit-field, where its lowest bit is, counted from bit 0 of the byte at Offset (0–7); -1 when the
    /// capture does not say (written before bit offsets were kept), and the field is then marked, never guessed.</summary>
    public int BitOffset { get; init; } = -1;
}
