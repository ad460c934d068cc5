using Calltape.Symbols.Dwarf;

namespace Calltape.Symbols.Planning;

/// <summary>Reads the DWARF rustc writes for enums, to see an Option of a reference as the one nullable pointer it is.</summary>
/// <remarks>
/// rustc (rustc_codegen_llvm/src/debuginfo/metadata/enums) describes an enum as a structure holding a
/// DW_TAG_variant_part (DWARF 5 §5.7.10) whose discriminant member is the niche: for Option&lt;&amp;T&gt; the pointer word
/// itself, with variant None at DW_AT_discr_value 0 and Some (the default variant) holding field __0, the reference.
/// Rust guarantees that layout for Option of &amp;T, &amp;mut T, Box&lt;T&gt; and NonNull&lt;T&gt; (std::option, "Representation").
/// </remarks>
internal static class RustAbiDwarf
{
    private const ushort TagVariant = 0x19, TagVariantPart = 0x33;
    private const ushort AtDiscrValue = 0x16;

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
