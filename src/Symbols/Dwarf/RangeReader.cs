namespace Calltape.Symbols.Dwarf;

/// <summary>The code ranges a DIE covers: DW_AT_low_pc/DW_AT_high_pc, or DW_AT_ranges into .debug_rnglists (DWARF 5
/// §2.17.3, §7.28) or .debug_ranges (DWARF 4 §2.17.3). Half-open [Low, High) link-time addresses; empty when the DIE
/// has none.</summary>
internal static class RangeReader
{
    /// <summary>DW_RLE_* range list entry kinds (DWARF 5 §7.25, table 7.30).</summary>
    private const byte EndOfList = 0, BaseAddressx = 1, StartxEndx = 2, StartxLength = 3, OffsetPair = 4, BaseAddress = 5,
        StartEnd = 6, StartLength = 7;

    /// <summary>Where DW_FORM_rnglistx indexes start when the unit names no DW_AT_rnglists_base: past the 32-bit header.</summary>
    private const ulong DefaultRnglistsBase = 12;

    public static List<(ulong Low, ulong High)> Of(Die die, ulong rnglistsBase)
    {
        var unit = die.Unit;
        var result = new List<(ulong, ulong)>();
        if (die.TryGet(DwAt.LowPc, out var lowAttr) && unit.Address(lowAttr) is { } low && die.TryGet(DwAt.HighPc, out var highAttr))
        {
            // DWARF 4+: high_pc of class constant is an offset from low_pc; of class address, an address (§2.17.2).
            var high = DwarfUnit.Constant(highAttr) is { } len ? low + (ulong)len : unit.Address(highAttr) ?? low;
            if (high > low) result.Add((low, high));
            return result;
        }
        if (!die.TryGet(DwAt.Ranges, out var ranges)) return result;
        if (unit.Version >= 5)
        {
            var offset = ranges.Form == DwForm.Rnglistx ? ListOffset(unit, rnglistsBase, ranges.Value) : ranges.Value;
            if (offset is { } o) ReadRnglist(unit, o, result);
        }
        else ReadRanges(unit, ranges.Value, result);
        return result;
    }

    /// <summary>DW_FORM_rnglistx: the offset table after the header holds each list's offset from rnglists_base (§7.28).</summary>
    private static ulong? ListOffset(DwarfUnit unit, ulong rnglistsBase, ulong index)
    {
        var b = rnglistsBase == 0 ? DefaultRnglistsBase : rnglistsBase;
        var size = unit.Dwarf64 ? 8UL : 4UL;
        var at = b + index * size;
        if (at + size > (ulong)unit.Sections.Rnglists.Length) return null;
        var c = new DwarfCursor(unit.Sections.Rnglists, ".debug_rnglists") { Position = checked((int)at) };
        return b + c.Offset(unit.Dwarf64);
    }

    private static void ReadRnglist(DwarfUnit unit, ulong offset, List<(ulong, ulong)> result)
    {
        var data = unit.Sections.Rnglists;
        if (offset >= (ulong)data.Length) return;
        var c = new DwarfCursor(data, ".debug_rnglists") { Position = checked((int)offset) };
        var baseAddr = unit.BaseAddress;
        while (!c.AtEnd)
        {
            ulong lo, hi;
            switch (c.U8())
            {
                case EndOfList: return;
                case BaseAddressx: baseAddr = unit.AddressAt(c.Uleb()); continue;
                case BaseAddress: baseAddr = c.Address(unit.AddressSize); continue;
                case StartxEndx: lo = unit.AddressAt(c.Uleb()); hi = unit.AddressAt(c.Uleb()); break;
                case StartxLength: lo = unit.AddressAt(c.Uleb()); hi = lo + c.Uleb(); break;
                case OffsetPair: lo = baseAddr + c.Uleb(); hi = baseAddr + c.Uleb(); break;
                case StartEnd: lo = c.Address(unit.AddressSize); hi = c.Address(unit.AddressSize); break;
                case StartLength: lo = c.Address(unit.AddressSize); hi = lo + c.Uleb(); break;
                default: return; // unknown entry: the list cannot be walked further
            }
            if (hi > lo) result.Add((lo, hi));
        }
    }

    /// <summary>DWARF 2-4 .debug_ranges: address pairs relative to the unit's base, (0, 0) ends the list, and a first
    /// address of all ones selects a new base (§2.17.3).</summary>
    private static void ReadRanges(DwarfUnit unit, ulong offset, List<(ulong, ulong)> result)
    {
        var data = unit.Sections.Ranges;
        if (offset >= (ulong)data.Length) return;
        var c = new DwarfCursor(data, ".debug_ranges") { Position = checked((int)offset) };
        var baseAddr = unit.BaseAddress;
        var selector = unit.AddressSize == 8 ? ulong.MaxValue : uint.MaxValue;
        while (c.Position + 2 * unit.AddressSize <= data.Length)
        {
            var lo = c.Address(unit.AddressSize);
            var hi = c.Address(unit.AddressSize);
            if (lo == 0 && hi == 0) return;
            if (lo == selector) { baseAddr = hi; continue; }
            if (hi > lo) result.Add((baseAddr + lo, baseAddr + hi));
        }
    }
}
