namespace Calltape.Symbols.Dwarf;

/// <summary>Maps Go runtime type descriptors (offsets from runtime.types) to their type DIEs (DW_AT_go_runtime_type, cmd/internal/dwarf).</summary>
internal static class GoTypeIndex
{
    private const ushort DwAtGoRuntimeType = 0x2904;

    /// <summary>One pass over each unit's top-level DIEs (Go emits its types there).</summary>
    public static Dictionary<ulong, ulong> Build(DieIndex index)
    {
        var map = new Dictionary<ulong, ulong>();
        foreach (var unit in index.Units)
        {
            var root = unit.ReadDie(unit.FirstDie);
            if (root.IsNull) continue;
            foreach (var die in unit.Children(root))
            {
                if (!die.TryGet(DwAtGoRuntimeType, out var a)) continue;
                // 0 marks a type without a descriptor (runtime.eface and other DWARF-only shapes).
                if (a.Value != 0) map.TryAdd(a.Value, die.Offset);
            }
        }
        return map;
    }
}
