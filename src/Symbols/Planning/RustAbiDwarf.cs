using Calltape.Symbols.Dwarf;

namespace Calltape.Symbols.Planning;

/// <summary>Reads the DWARF rustc writes for enums, to see an Option of a reference as the one nullable pointer it is, an
/// Option of a number as its discriminant beside the number, and any other enum as its discriminant (a member of its own,
/// or a niche inside the dataful variant's payload) and its variants' payloads.</summary>
/// <remarks>
/// rustc (rustc_codegen_llvm/src/debuginfo/metadata/enums) describes an enum as a structure holding a
/// DW_TAG_variant_part (DWARF 5 §5.7.10) whose discriminant member is the niche: for Option&lt;&amp;T&gt; the pointer word
/// itself, with variant None at DW_AT_discr_value 0 and Some (the default variant) holding field __0, the reference.
/// Rust guarantees that layout for Option of &amp;T, &amp;mut T, Box&lt;T&gt; and NonNull&lt;T&gt; (std::option, "Representation").
/// </remarks>
internal static class RustAbiDwarf
{
    private const ushort TagVariant = 0x19, TagVariantPart = 0x33;
    private const ushort AtDiscrValue = 0x16, AtDiscr = 0x15, AtDiscrList = 0x3d; // DWARF 5 §7.5.4

    /// <summary>Where a tagged Option&lt;T&gt; keeps its discriminant and its value, from DWARF.</summary>
    /// <param name="TagOffset">Byte offset of the discriminant member (DW_AT_discr of the variant part).</param>
    /// <param name="TagType">DIE offset of the discriminant's type.</param>
    /// <param name="None">None's DW_AT_discr_value.</param>
    /// <param name="ValueOffset">Byte offset of Some's field __0 in the Option.</param>
    /// <param name="ValueType">DIE offset of T.</param>
    public sealed record TaggedOption(int TagOffset, ulong TagType, long None, int ValueOffset, ulong ValueType);

    /// <summary>
    /// An Option whose discriminant is a member of its own (no niche: None and Some both carry DW_AT_discr_value, as
    /// rustc writes for Option of an integer or float) and whose value lies after the discriminant, not over it; null
    /// for any other enum. rustc lays such an enum out as Abi::ScalarPair (discriminant, value) when T is one scalar.
    /// </summary>
    public static TaggedOption? Tagged(DieIndex index, ulong? typeOffset)
    {
        if (typeOffset is not { } off || index.DieAt(off) is not { } die) return null;
        if (die.Tag != DwTag.StructureType || die.String(DwAt.Name)?.StartsWith("Option<", StringComparison.Ordinal) != true) return null;
        var part = die.Unit.Children(die).FirstOrDefault(c => c.Tag == TagVariantPart);
        if (part?.Reference(AtDiscr) is not { } discrAt || index.DieAt(discrAt) is not { Tag: DwTag.Member } discr) return null;
        if (discr.Constant(DwAt.DataMemberLocation) is not { } tagOffset || discr.Reference(DwAt.Type) is not { } tagType) return null;
        long? none = null, some = null;
        int? valueOffset = null;
        ulong? valueType = null;
        foreach (var variant in part.Unit.Children(part).Where(c => c.Tag == TagVariant))
        {
            var member = variant.Unit.Children(variant).FirstOrDefault(c => c.Tag == DwTag.Member);
            switch (member?.String(DwAt.Name))
            {
                case "None":
                    none = variant.Constant(AtDiscrValue);
                    break;
                case "Some" when member.Reference(DwAt.Type) is { } s && index.DieAt(s) is { } someDie:
                    some = variant.Constant(AtDiscrValue);
                    var fields = someDie.Unit.Children(someDie).Where(c => c.Tag == DwTag.Member).ToList();
                    if (fields.Count == 1 && fields[0].String(DwAt.Name) == "__0" && fields[0].Constant(DwAt.DataMemberLocation) is { } at)
                    {
                        valueOffset = (int)(at + (member.Constant(DwAt.DataMemberLocation) ?? 0));
                        valueType = fields[0].Reference(DwAt.Type);
                    }
                    break;
            }
        }
        var tagSize = index.DieAt(tagType)?.Constant(DwAt.ByteSize) ?? 0;
        if (none is not { } n || some is null || n == some || valueOffset is not { } vo || valueType is not { } vt) return null;
        return tagSize is > 0 and <= 8 && vo >= tagOffset + tagSize ? new TaggedOption((int)tagOffset, tagType, n, vo, vt) : null;
    }

    /// <summary>One variant of a tagged enum.</summary>
    /// <param name="Name">The variant's name (Ok, Move).</param>
    /// <param name="Discr">Its DW_AT_discr_value, cut to the discriminant's size.</param>
    /// <param name="Offset">Byte offset of the variant's member (its payload struct, whose fields count from the enum's start).</param>
    /// <param name="Payload">DIE offset of the payload struct (fields __0, __1 or named; none for a unit variant).</param>
    public sealed record Variant(string Name, long Discr, int Offset, ulong Payload);

    /// <summary>An enum's discriminant member and every variant's discriminant value; for a niche-encoded enum,
    /// <paramref name="Default"/> is the index of the one variant without a value (its Discr unused), else -1.</summary>
    public sealed record TaggedEnum(int TagOffset, ulong TagType, IReadOnlyList<Variant> Variants, int Default = -1);

    /// <summary>
    /// A Rust enum described by a variant part (DWARF 5 §5.7.10): the discriminant member (DW_AT_discr) and each variant's
    /// DW_AT_discr_value. A niche-encoded enum's discriminant member is the niche, a field inside the dataful variant's
    /// payload, and that variant has neither DW_AT_discr_value nor DW_AT_discr_list: it is the default variant, which
    /// holds whenever the niche matches no other variant's value. Measured on rustc 1.63: Option&lt;String&gt;,
    /// Option&lt;Vec&lt;i64&gt;&gt; and Option&lt;&amp;str&gt; have a u64 member at 0 (the data pointer) with None at value 0;
    /// Option&lt;bool&gt; a u8 with None at 2; enum { Nope, Letter(char) } a u32 with Nope at 0x110000; enum { A, B, Has(Kind) }
    /// (Kind a 3-variant enum) a u8 with A at 3, B at 4; never DW_AT_discr_list (LLVM writes one value per variant).
    /// Null for DWARF of any other shape (a discriminant list, two default variants), which RustAbi then marks rather than
    /// guesses.
    /// </summary>
    public static TaggedEnum? Enum(DieIndex index, ulong? typeOffset)
    {
        if (typeOffset is not { } off || index.DieAt(off) is not { Tag: DwTag.StructureType } die) return null;
        var part = die.Unit.Children(die).FirstOrDefault(c => c.Tag == TagVariantPart);
        if (part is null) return null;
        if (part.Reference(AtDiscr) is not { } discrAt || index.DieAt(discrAt) is not { Tag: DwTag.Member } discr) return null;
        if (discr.Constant(DwAt.DataMemberLocation) is not { } tagOffset || discr.Reference(DwAt.Type) is not { } tagType) return null;
        var tagSize = index.DieAt(tagType) is { Tag: DwTag.BaseType } tagDie ? tagDie.Constant(DwAt.ByteSize) ?? 0 : 0;
        var variants = new List<Variant>();
        var fallback = -1;
        foreach (var variant in part.Unit.Children(part).Where(c => c.Tag == TagVariant))
        {
            var value = variant.Constant(AtDiscrValue);
            if (value is null)
            {
                // The default variant (§5.7.10): at most one, and a discriminant list is not modeled.
                if (fallback >= 0 || variant.TryGet(AtDiscrList, out _)) return null;
                fallback = variants.Count;
            }
            var members = variant.Unit.Children(variant).Where(c => c.Tag == DwTag.Member).ToList();
            if (members is not [var m] || m.String(DwAt.Name) is not { Length: > 0 } name || m.Reference(DwAt.Type) is not { } payload
                || index.DieAt(payload) is not { Tag: DwTag.StructureType })
                return null;
            var mask = tagSize >= 8 ? ulong.MaxValue : (1UL << (int)(8 * tagSize)) - 1;
            variants.Add(new Variant(name, (long)((ulong)(value ?? -1) & mask), (int)(m.Constant(DwAt.DataMemberLocation) ?? 0), payload));
        }
        var valued = variants.Where((_, k) => k != fallback).ToList();
        if (tagSize is < 1 or > 8 || variants.Count == 0 || valued.DistinctBy(v => v.Discr).Count() != valued.Count) return null;
        return new TaggedEnum((int)tagOffset, tagType, variants, fallback);
    }

    /// <summary>The DIE offset of Some's pointer (field __0) when the type is such an 8-byte Option, else null.</summary>
    public static ulong? NullablePointerPayload(DieIndex index, ulong? typeOffset)
    {
        if (typeOffset is not { } off || index.DieAt(off) is not { } die) return null;
        if (die.Tag != DwTag.StructureType || die.Constant(DwAt.ByteSize) != 8) return null;
        if (die.String(DwAt.Name)?.StartsWith("Option<", StringComparison.Ordinal) != true) return null;
        var part = die.Unit.Children(die).FirstOrDefault(c => c.Tag == TagVariantPart);
        if (part is null) return null;
        ulong? payload = null;
        var noneIsZero = false;
        foreach (var variant in part.Unit.Children(part).Where(c => c.Tag == TagVariant))
        {
            var member = variant.Unit.Children(variant).FirstOrDefault(c => c.Tag == DwTag.Member);
            switch (member?.String(DwAt.Name))
            {
                case "None":
                    noneIsZero = variant.Constant(AtDiscrValue) == 0;
                    break;
                case "Some" when member.Reference(DwAt.Type) is { } some && index.DieAt(some) is { } someDie:
                    var field = someDie.Unit.Children(someDie).FirstOrDefault(c => c.Tag == DwTag.Member && c.String(DwAt.Name) == "__0");
                    if (field?.Reference(DwAt.Type) is { } p && index.DieAt(p) is { Tag: DwTag.PointerType or DwTag.StructureType } pd
                        && (pd.Constant(DwAt.ByteSize) ?? 8) == 8)
                        payload = p;
                    break;
            }
        }
        return noneIsZero ? payload : null;
    }
}
