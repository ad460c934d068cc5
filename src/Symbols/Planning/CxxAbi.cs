using Calltape.Capture.Model;
using Calltape.Symbols.Dwarf;

namespace Calltape.Symbols.Planning;

/// <summary>
/// C++ classes that are "non-trivial for the purposes of calls" (Itanium C++ ABI §3.1.2.3, §3.1.3.1): such a
/// parameter is passed as the address of a caller-made temporary (one INTEGER register or stack slot) and such a
/// result is returned through a hidden pointer in RDI, whatever SysV's size-based classification would say.
/// </summary>
/// <remarks>
/// The ABI's test: a non-trivial copy constructor, move constructor or destructor. Read from DWARF: clang states it
/// directly (DW_AT_calling_convention DW_CC_pass_by_reference, DWARF 5 §5.7.1); gcc 12 does not, so the class's member
/// declarations decide: a destructor or copy/move constructor that is user-provided (not DW_AT_artificial and not
/// DW_AT_defaulted in class), a virtual function or base (a polymorphic class's copy constructor is non-trivial), or
/// a base or non-static data member that is itself non-trivial (an implicit special member then is too).
/// </remarks>
internal static class CxxAbi
{
    // DWARF 5 §7.5.3 / §7.5.4 codes not in DwarfConstants (read only here).
    private const ushort TagInheritance = 0x1c, TagVariable = 0x34;
    private const ushort AtArtificial = 0x34, AtCallingConvention = 0x36, AtExternal = 0x3f, AtVirtuality = 0x4c,
        AtDefaulted = 0x8b;
    private const long CcPassByReference = 4, CcPassByValue = 5, DefaultedInClass = 1;
    private const int MaxDepth = 16;

    /// <summary>What the register or stack slot of such a parameter holds: the address of the caller's temporary.</summary>
    public static TypeDesc HiddenPointer(TypeDesc t) => new(t.Name + "*", TypeKind.Pointer, 8) { Elem = t };

    /// <summary>
    /// std::string (libstdc++'s std::__cxx11::basic_string&lt;char&gt;) as text: its DWARF must show the layout the
    /// decoder reads, _M_dataplus._M_p (a char*) at byte 0 and _M_string_length at byte 8 (bits/basic_string.h); then
    /// the type becomes a String of its own size. Applies to the type itself or to what a pointer or reference targets.
    /// Any other layout (another standard library, a wide string) stays a struct.
    /// </summary>
    public static TypeDesc StringsAsText(TypeDesc t)
    {
        if (IsLibstdcxxString(t)) return new TypeDesc(t.Name, TypeKind.String, t.Size);
        if (t.Kind == TypeKind.Pointer && t.Elem is { } e && IsLibstdcxxString(e))
            return t with { Elem = new TypeDesc(e.Name, TypeKind.String, e.Size) };
        return t;
    }

    private static bool IsLibstdcxxString(TypeDesc t)
    {
        if (t.Kind != TypeKind.Struct || t.Size < 16) return false;
        var plus = t.Fields.FirstOrDefault(f => f.Name == "_M_dataplus");
        var len = t.Fields.FirstOrDefault(f => f.Name == "_M_string_length");
        var p = plus?.Type.Fields.FirstOrDefault(f => f.Name == "_M_p");
        return plus is not null && len is not null && p is not null
            && plus.Offset + p.Offset == 0 && p.Type is { Kind: TypeKind.Pointer, Elem.Size: 1 }
            && len.Offset == 8 && len.Type is { Kind: TypeKind.Uint, Size: 8 };
    }

    /// <summary>
    /// A C++ reference parameter (DW_TAG_reference_type or rvalue_reference_type) spelled as one: "int&amp;", not the
    /// "int*" an unnamed pointer gets. A reference always names a live object, so its target is worth following.
    /// </summary>
    public static TypeDesc SpellReference(DieIndex index, ulong? typeOffset, TypeDesc t)
    {
        if (t.Kind != TypeKind.Pointer || t.Elem is null || typeOffset is not { } off) return t;
        return index.DieAt(off)?.Tag switch
        {
            DwTag.ReferenceType => t with { Name = t.Elem.Name + "&" },
            DwTag.RvalueReferenceType => t with { Name = t.Elem.Name + "&&" },
            _ => t,
        };
    }

    /// <summary>True for a type <see cref="SpellReference"/> marked as a C++ reference.</summary>
    public static bool IsReference(TypeDesc t) => t.Kind == TypeKind.Pointer && t.Name.EndsWith('&');

    /// <summary>True when the type at that DIE offset (through typedefs and cv-qualifiers) is such a class.</summary>
    public static bool PassedByReference(DieIndex index, ulong? typeOffset) => NonTrivial(index, typeOffset, 0);

    private static bool NonTrivial(DieIndex index, ulong? typeOffset, int depth)
    {
        if (depth > MaxDepth || typeOffset is not { } off) return false;
        var die = index.DieAt(off);
        for (var hops = 0; die is not null && hops < 8 && die.Tag is DwTag.Typedef or DwTag.ConstType or DwTag.VolatileType or DwTag.ArrayType; hops++)
            die = die.Reference(DwAt.Type) is { } inner ? index.DieAt(inner) : null;
        if (die is null || die.Tag is not (DwTag.StructureType or DwTag.ClassType or DwTag.UnionType)) return false;
        if (die.Flag(DwAt.Declaration) && die.Constant(DwAt.ByteSize) is null) return CxxDeclarations.IsDeclaredString(index, die.Offset);
        switch (die.Constant(AtCallingConvention))
        {
            case CcPassByReference: return true;
            case CcPassByValue: return false;
        }
        var className = die.String(DwAt.Name) is { } n ? StripTemplateArgs(n) : null;
        foreach (var c in die.Unit.Children(die))
        {
            switch (c.Tag)
            {
                case DwTag.Subprogram:
                    if (c.Constant(AtVirtuality) is > 0) return true;
                    if (!c.Flag(AtArtificial) && c.Constant(AtDefaulted) != DefaultedInClass && IsCopyMoveOrDestructor(index, c, className, off))
                        return true;
                    break;
                case TagInheritance:
                    if (c.Constant(AtVirtuality) is > 0 || NonTrivial(index, c.Reference(DwAt.Type), depth + 1)) return true;
                    break;
                case DwTag.Member when !c.Flag(AtExternal) && !c.Flag(DwAt.Declaration):
                    if (c.String(DwAt.Name)?.StartsWith("_vptr", StringComparison.Ordinal) == true) return true;
                    if (NonTrivial(index, c.Reference(DwAt.Type), depth + 1)) return true;
                    break;
                case TagVariable:
                    break; // a static data member (DWARF 5) is not part of the object
            }
        }
        return false;
    }

    /// <summary>"~X", or "X" taking (after the artificial this) one reference to X itself.</summary>
    private static bool IsCopyMoveOrDestructor(DieIndex index, Die member, string? className, ulong classOffset)
    {
        var name = member.String(DwAt.Name);
        if (name is null || className is null) return false;
        if (name.StartsWith('~')) return true;
        if (StripTemplateArgs(name) != className) return false;
        var ps = member.Unit.Children(member).Where(p => p.Tag == DwTag.FormalParameter && !p.Flag(AtArtificial)).ToList();
        if (ps.Count != 1) return false;
        var t = ps[0].Reference(DwAt.Type) is { } r ? index.DieAt(r) : null;
        if (t is null || t.Tag is not (DwTag.ReferenceType or DwTag.RvalueReferenceType)) return false;
        var target = t.Reference(DwAt.Type);
        for (var hops = 0; target is { } to && hops < 4; hops++)
        {
            if (to == classOffset) return true;
            var d = index.DieAt(to);
            if (d is null || d.Tag is not (DwTag.ConstType or DwTag.VolatileType or DwTag.Typedef)) return false;
            target = d.Reference(DwAt.Type);
        }
        return false;
    }

    private static string StripTemplateArgs(string name)
    {
        var lt = name.IndexOf('<');
        return lt < 0 ? name : name[..lt];
    }
}
