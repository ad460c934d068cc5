using Calltape.Capture.Model;
using Calltape.Symbols.Dwarf;

namespace Calltape.Symbols.Planning;

/// <summary>
/// C++ classes a compile unit only declares (DW_AT_declaration, no size, no members) and no other unit of the binary
/// defines (Dwarf/CxxDefinitions.cs completes the others): clang's default limited debug info (-fno-standalone-debug)
/// leaves out a class whose definition it expects a library to describe, such as every explicitly instantiated extern
/// template; at -O0 std::string, which libstdc++.so instantiates, is one of them.
/// </summary>
/// <remarks>
/// A parameter of such a type by value has an unknown size and an unknown calling convention, so neither it nor any
/// argument after it can be placed (SysV psABI §3.2.3 assigns in order): the planner marks them not captured rather
/// than read registers that belong to something else. One class is known without its DWARF: libstdc++'s
/// std::__cxx11::basic_string&lt;char&gt;, whose layout is frozen by libstdc++'s ABI since GCC 5's dual ABI put it in the
/// __cxx11 inline namespace (libstdc++ manual, "Dual ABI"; bits/basic_string.h: _M_dataplus._M_p at byte 0,
/// _M_string_length at 8, a 16-byte local buffer at 16, 32 bytes in all, with a user-provided copy constructor and
/// destructor, so it is passed by invisible reference, Itanium C++ ABI §3.1.2.3). libc++'s std::__1 string and
/// libstdc++'s old copy-on-write std::basic_string have other layouts and stay unknown.
/// </remarks>
internal static class CxxDeclarations
{
    private const int MaxHops = 8;
    private const int LibstdcxxStringSize = 32;
    private const string LibstdcxxString = "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >";

    /// <summary>The class DIE a type offset names through typedefs and cv-qualifiers when it is only declared, else null.</summary>
    public static Die? DeclaredClass(DieIndex index, ulong? typeOffset)
    {
        var die = typeOffset is { } off ? index.DieAt(off) : null;
        for (var hops = 0; die is not null && hops < MaxHops && die.Tag is DwTag.Typedef or DwTag.ConstType or DwTag.VolatileType; hops++)
            die = die.Reference(DwAt.Type) is { } inner ? index.DieAt(inner) : null;
        return die is { Tag: DwTag.StructureType or DwTag.ClassType or DwTag.UnionType } && die.Flag(DwAt.Declaration)
            && die.Constant(DwAt.ByteSize) is null ? die : null;
    }

    /// <summary>True when the type is only declared and is not a class whose layout is known without its DWARF.</summary>
    public static bool IsIncomplete(DieIndex index, ulong? typeOffset) =>
        DeclaredClass(index, typeOffset) is { } d && !IsLibstdcxxString(index, d);

    /// <summary>True when the type is a declared-only libstdc++ std::string (passed by invisible reference).</summary>
    public static bool IsDeclaredString(DieIndex index, ulong? typeOffset) =>
        DeclaredClass(index, typeOffset) is { } d && IsLibstdcxxString(index, d);

    /// <summary>
    /// The type with a declared-only libstdc++ std::string (itself, or what a pointer or reference to it targets)
    /// completed as the String the decoder reads from _M_p and _M_string_length; any other type unchanged.
    /// </summary>
    public static TypeDesc Complete(DieIndex index, ulong? typeOffset, TypeDesc t)
    {
        if (IsDeclaredString(index, typeOffset)) return AsString(t.Name);
        if (t.Kind != TypeKind.Pointer || t.Elem is null || typeOffset is not { } off) return t;
        var pointer = index.DieAt(off);
        for (var hops = 0; pointer is not null && hops < MaxHops && pointer.Tag is DwTag.Typedef or DwTag.ConstType or DwTag.VolatileType; hops++)
            pointer = pointer.Reference(DwAt.Type) is { } inner ? index.DieAt(inner) : null;
        if (pointer?.Tag is not (DwTag.PointerType or DwTag.ReferenceType or DwTag.RvalueReferenceType)) return t;
        return IsDeclaredString(index, pointer.Reference(DwAt.Type)) ? t with { Elem = AsString(t.Elem.Name) } : t;
    }

    /// <summary>libstdc++'s string as the decoder reads it (TreeDecoder: the data pointer is word 0, the length word 1).</summary>
    private static TypeDesc AsString(string name) => new(name, TypeKind.String, LibstdcxxStringSize);

    private static bool IsLibstdcxxString(DieIndex index, Die d) =>
        d.Tag == DwTag.ClassType && index.DeclaredClassName(d.Offset) == LibstdcxxString;
}
