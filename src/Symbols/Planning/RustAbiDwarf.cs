using Calltape.Symbols.Dwarf;

namespace Calltape.Symbols.Planning;

/// <summary>Reads the DWARF rustc writes for enums, to see an Option of a reference as the one nullable pointer it is, an
/// Option of a number as its discriminant beside the number, and any other enum with a discriminant of its own as that
/// discriminant and its variants' payloads.</summary>
/// <remarks>
/// rustc (rustc_codegen_llvm/src/debuginfo/metadata/enums) describes an enum as a structure holding a
/// DW_TAG_variant_part (DWARF 5 §5.7.10) whose discriminant member is the niche: for Option&lt;&amp;T&gt; the pointer word
/// itself, with variant None at DW_AT_discr_value 0 and Some (the default variant) holding field __0, the reference.
/// Rust guarantees that layout for Option of &amp;T, &amp;mut T, Box&lt;T&gt; and NonNull&lt;T&gt; (std::option, "Representation").
/// </remarks>
internal static class RustAbiDwarf
{
    private const ushort TagVariant = 0x19, TagVariantPart = 0x33;
    private const ushort AtDiscrValue = 0x16, AtDiscr = 0x15;

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

    /// <summary>An enum with a discriminant member of its own and every variant's discriminant value.</summary>
    public sealed record TaggedEnum(int TagOffset, ulong TagType, IReadOnlyList<Variant> Variants);

    /// <summary>
    /// A Rust enum whose discriminant is a member of its own (DW_AT_discr of the variant part) and every variant names its
    /// DW_AT_discr_value; null for anything else: a niche-encoded enum (a variant without DW_AT_discr_value is "every
    /// other value" of a niche inside a payload, DWARF 5 §5.7.10) or DWARF not of this shape, which RustAbi then marks
    /// rather than guesses.
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
        foreach (var variant in part.Unit.Children(part).Where(c => c.Tag == TagVariant))
        {
            if (variant.Constant(AtDiscrValue) is not { } value) return null; // the default variant: a niche
            var members = variant.Unit.Children(variant).Where(c => c.Tag == DwTag.Member).ToList();
            if (members is not [var m] || m.String(DwAt.Name) is not { Length: > 0 } name || m.Reference(DwAt.Type) is not { } payload
                || index.DieAt(payload) is not { Tag: DwTag.StructureType })
                return null;
            var mask = tagSize >= 8 ? ulong.MaxValue : (1UL << (int)(8 * tagSize)) - 1;
            variants.Add(new Variant(name, (long)((ulong)value & mask), (int)(m.Constant(DwAt.DataMemberLocation) ?? 0), payload));
        }
        if (tagSize is < 1 or > 8 || variants.Count == 0 || variants.DistinctBy(v => v.Discr).Count() != variants.Count) return null;
        return new TaggedEnum((int)tagOffset, tagType, variants);
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
