namespace Calltape.Symbols.Dwarf;

/// <summary>A subprogram DIE seen by the index pass; Origin is its DW_AT_abstract_origin or DW_AT_specification.</summary>
internal sealed record SubprogramEntry(DwarfUnit Unit, ulong Offset, string? Name, ulong? LowPc, ulong? Origin, bool Declaration);

/// <summary>One linear pass over .debug_info that lists the units and indexes every subprogram by entry PC and name,
/// so later lookups decode only the DIEs of the function asked for.</summary>
internal sealed class DieIndex
{
    private const int MaxOriginHops = 8; // guards against reference cycles in malformed DWARF

    private readonly List<DwarfUnit> _units = [];
    private readonly Dictionary<ulong, SubprogramEntry> _byOffset = new();
    private readonly Dictionary<ulong, List<SubprogramEntry>> _byLowPc = new();
    private readonly Dictionary<string, List<SubprogramEntry>> _byName = new(StringComparer.Ordinal);

    public DieIndex(DwarfSections s)
    {
        var cursor = new DwarfCursor(s.Info, ".debug_info");
        var abbrevCache = new Dictionary<ulong, AbbrevTable>();
        var entries = new List<SubprogramEntry>();
        while (!cursor.AtEnd)
        {
            var unit = DwarfUnit.ReadHeader(s, cursor, abbrevCache);
            if (unit is null) continue;
            _units.Add(unit);
            IndexUnit(unit, entries);
        }
        foreach (var e in entries)
        {
            if (e.LowPc is { } pc) Add(_byLowPc, pc, e);
            var name = NameOf(e);
            if (name is not null) Add(_byName, name, e);
        }
    }

    private void IndexUnit(DwarfUnit unit, List<SubprogramEntry> entries)
    {
        var root = unit.ReadDie(unit.FirstDie);
        if (root.IsNull) return;
        // The bases must be set before any strx/addrx attribute is resolved, including the root's own (DWARF 5 §3.1.1).
        if (root.TryGet(DwAt.StrOffsetsBase, out var sob)) unit.StrOffsetsBase = sob.Value;
        if (root.TryGet(DwAt.AddrBase, out var ab)) unit.AddrBase = ab.Value;
        unit.Producer = root.String(DwAt.Producer);
        if (root.TryGet(DwAt.LowPc, out var low)) unit.BaseAddress = unit.Address(low) ?? 0;
        if (root.TryGet(DwAt.LoclistsBase, out var llb)) unit.LoclistsBase = llb.Value;

        var offset = root.Next;
        var depth = root.HasChildren ? 1 : 0;
        while (depth > 0 && offset < unit.End)
        {
            var die = unit.ReadDie(offset);
            offset = die.Next;
            if (die.IsNull) { depth--; continue; }
            if (die.HasChildren) depth++;
            // runtime.g holds goid, which exit probes read through R14 (ProbePlanner.Returns.cs).
            if (die.Tag == DwTag.StructureType && GoRuntimeG is null && die.String(DwAt.Name) == "runtime.g")
                GoRuntimeG = die.Offset;
            if (die.Tag != DwTag.Subprogram) continue;
            var name = die.String(DwAt.Name) ?? die.String(DwAt.LinkageName) ?? die.String(DwAt.MipsLinkageName);
            ulong? lowPc = die.TryGet(DwAt.LowPc, out var lp) ? unit.Address(lp) : null;
            var entry = new SubprogramEntry(unit, die.Offset, name, lowPc,
                die.Reference(DwAt.AbstractOrigin) ?? die.Reference(DwAt.Specification), die.Flag(DwAt.Declaration));
            entries.Add(entry);
            _byOffset[die.Offset] = entry;
        }
    }

    /// <summary>Every unit read, in .debug_info order.</summary>
    public IReadOnlyList<DwarfUnit> Units => _units;

    /// <summary>The .debug_info offset of Go's struct runtime.g, or null when the binary has none.</summary>
    public ulong? GoRuntimeG { get; private set; }

    /// <summary>The entry's own name, else the name of the DIE it is a concrete instance or definition of.</summary>
    public string? NameOf(SubprogramEntry e)
    {
        for (var (cur, hops) = (e, 0); hops < MaxOriginHops; hops++)
        {
            if (cur.Name is not null) return cur.Name;
            if (cur.Origin is not { } o || !_byOffset.TryGetValue(o, out var next)) return null;
            cur = next;
        }
        return null;
    }

    public IReadOnlyList<SubprogramEntry> AtLowPc(ulong pc) => _byLowPc.TryGetValue(pc, out var l) ? l : [];
    public IReadOnlyList<SubprogramEntry> Named(string name) => _byName.TryGetValue(name, out var l) ? l : [];

    /// <summary>The unit holding a DIE offset (references may cross units via DW_FORM_ref_addr).</summary>
    public DwarfUnit? UnitOf(ulong offset)
    {
        int lo = 0, hi = _units.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            var u = _units[mid];
            if (offset < u.Offset) hi = mid - 1;
            else if (offset >= u.End) lo = mid + 1;
            else return u.Contains(offset) ? u : null;
        }
        return null;
    }

    /// <summary>
    /// The DIE at an absolute .debug_info offset, or null when it is outside every unit we read. A C++ class the unit
    /// only declares reads as its definition from another unit when there is one (CxxDefinitions), so every reader of
    /// types (layouts, the C++ calling convention, the planner) sees the class as gdb would.
    /// </summary>
    public Die? DieAt(ulong offset)
    {
        var die = UnitOf(offset)?.ReadDie(offset);
        if (die is not { Tag: DwTag.StructureType or DwTag.ClassType or DwTag.UnionType } || !die.Flag(DwAt.Declaration)) return die;
        return CxxClasses.DefinitionOf(offset) is { } d && UnitOf(d)?.ReadDie(d) is { } definition ? definition : die;
    }

    /// <summary>The qualified name of a class a C++ unit only declares (at that offset), or null.</summary>
    public string? DeclaredClassName(ulong offset) => CxxClasses.NameOf(offset);

    /// <summary>Built on first use: only a binary with a declared-only class pays for the walk.</summary>
    private CxxDefinitions CxxClasses => LazyInitializer.EnsureInitialized(ref _cxxDefinitions, () => new CxxDefinitions(_units));

    private CxxDefinitions? _cxxDefinitions;

    private static void Add<TKey>(Dictionary<TKey, List<SubprogramEntry>> map, TKey key, SubprogramEntry e) where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(e);
    }
}
