namespace Calltape.Symbols.Dwarf;

/// <summary>Finds, for a C++ class one unit only declares, its definition in another unit of the binary, by qualified name.</summary>
/// <remarks>
/// GCC and clang describe a dynamic class (one with a vtable) fully only in the unit that emits its vtable, the one
/// defining its key function (Itanium C++ ABI §5.2.3), and only declare it (DW_AT_declaration, no size, no members)
/// in every other unit (GCC: unless -femit-class-debug-always; clang: unless -fstandalone-debug). A function in
/// another file taking a Widget* or a const Widget&amp; then describes its parameter as a pointer to a declaration.
/// gdb and lldb resolve such opaque types by name across units; so does this. The one-definition rule (C++
/// [basic.def.odr]) makes every definition of a class name with linkage the same, so the first one found stands for
/// all. A class in an anonymous namespace or inside a function is local to its unit and is never matched; only C++
/// units take part, since C struct tags of two units may name different types.
/// </remarks>
internal sealed class CxxDefinitions
{
    // DW_AT_language codes of C++: C_plus_plus, _03, _11, _14 (DWARF 5 §7.12, table 7.17), and _17, _20 (added to the
    // table since, dwarfstd.org language codes), which newer compilers write.
    private static readonly HashSet<long> CxxLanguages = [0x04, 0x19, 0x1a, 0x21, 0x2a, 0x2b];

    private readonly Dictionary<string, ulong> _definitions = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, string> _declarations = new();

    /// <summary>Walks every C++ unit once, noting each named class's definition and declarations.</summary>
    public CxxDefinitions(IReadOnlyList<DwarfUnit> units)
    {
        foreach (var unit in units) Walk(unit);
    }

    /// <summary>The offset of the class a declaration at that offset names, or null when no unit defines it.</summary>
    public ulong? DefinitionOf(ulong declaration) =>
        _declarations.TryGetValue(declaration, out var name) && _definitions.TryGetValue(name, out var definition) ? definition : null;

    /// <summary>The qualified name ("std::__cxx11::basic_string&lt;…&gt;") of a class a C++ unit only declares, or null (not
    /// such a declaration, or local to its unit).</summary>
    public string? NameOf(ulong declaration) => _declarations.GetValueOrDefault(declaration);

    private void Walk(DwarfUnit unit)
    {
        var root = unit.ReadDie(unit.FirstDie);
        if (root.IsNull || !root.HasChildren || root.Constant(DwAt.Language) is not { } language || !CxxLanguages.Contains(language)) return;
        // The qualified-name prefix of each open scope ("ns::Outer::"), or null inside one local to the unit (an
        // anonymous namespace, a function): classes there are never matched.
        var scopes = new Stack<string?>();
        scopes.Push("");
        var offset = root.Next;
        while (scopes.Count > 0 && offset < unit.End)
        {
            var die = unit.ReadDie(offset);
            offset = die.Next;
            if (die.IsNull)
            {
                scopes.Pop();
                continue;
            }
            string? qualified = null;
            if (scopes.Peek() is { } prefix && die.Tag is DwTag.Namespace or DwTag.StructureType or DwTag.ClassType or DwTag.UnionType
                && die.String(DwAt.Name) is { } name)
            {
                qualified = prefix + name;
                if (die.Tag != DwTag.Namespace) Note(die, qualified);
            }
            if (die.HasChildren) scopes.Push(qualified is null ? null : qualified + "::");
        }
    }

    /// <summary>A definition has a size (DWARF 5 §5.7.1); a declaration has DW_AT_declaration and none.</summary>
    private void Note(Die die, string qualified)
    {
        var sized = die.Constant(DwAt.ByteSize) is not null;
        if (!die.Flag(DwAt.Declaration)) { if (sized) _definitions.TryAdd(qualified, die.Offset); }
        else if (!sized) _declarations[die.Offset] = qualified;
    }
}
