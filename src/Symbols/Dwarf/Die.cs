namespace Calltape.Symbols.Dwarf;

/// <summary>One decoded attribute: its raw value (address, constant, section offset, string/address index or absolute
/// .debug_info offset for references) or, for block and exprloc forms, where its bytes are in .debug_info.</summary>
internal readonly record struct AttrValue(ushort Name, ushort Form, ulong Value, int BlockStart = 0, int BlockLength = 0);

/// <summary>A debugging information entry: tag, attributes, and where its children (if any) begin.</summary>
/// <param name="Offset">The DIE's offset in .debug_info.</param>
/// <param name="Next">The offset just past its attributes: its first child, or its next sibling if it has none.</param>
internal sealed record Die(DwarfUnit Unit, ulong Offset, ushort Tag, bool HasChildren, AttrValue[] Attrs, ulong Next)
{
    /// <summary>True for the null entry that ends a sibling list.</summary>
    public bool IsNull => Tag == 0;

    public bool TryGet(ushort name, out AttrValue value)
    {
        foreach (var a in Attrs)
            if (a.Name == name) { value = a; return true; }
        value = default;
        return false;
    }

    public string? String(ushort name) => TryGet(name, out var a) ? Unit.String(a) : null;
    public ulong? Reference(ushort name) => TryGet(name, out var a) ? DwarfUnit.Reference(a) : null;
    public long? Constant(ushort name) => TryGet(name, out var a) ? DwarfUnit.Constant(a) : null;
    public bool Flag(ushort name) => TryGet(name, out var a) && a.Value != 0;
}
