namespace Calltape.Symbols.Dwarf;

/// <summary>Decodes DW_AT_location: a single expression (exprloc), a DWARF 4 .debug_loc list or a DWARF 5
/// .debug_loclists list, into the register / frame-base / piece model of <see cref="ParamLocation"/>.</summary>
/// <remarks>
/// Lists: DWARF 4 §2.6.2 (address pairs relative to the CU base, (0, 0) ends, (~0, a) sets the base, u16 expression
/// length) and DWARF 5 §2.6.2 with §7.7.3 (DW_LLE_* entries, ULEB expression length). Expressions: DWARF 5 §2.5.1 and
/// §2.6.1.1.3 (DW_OP_regN, DW_OP_bregN, DW_OP_fbreg, DW_OP_piece); everything else is "computed", but its operands are
/// skipped so later pieces still decode.
/// </remarks>
internal static class LocationReader
{
    private const byte OpAddr = 0x03, OpConst1u = 0x08, OpConst8s = 0x0f, OpConstu = 0x10, OpConsts = 0x11, OpPick = 0x15,
        OpPlusUconst = 0x23, OpBra = 0x28, OpSkip = 0x2f, OpLit0 = 0x30, OpReg0 = 0x50, OpReg31 = 0x6f, OpBreg0 = 0x70,
        OpBreg31 = 0x8f, OpRegx = 0x90, OpFbreg = 0x91, OpBregx = 0x92, OpPiece = 0x93, OpDerefSize = 0x94,
        OpXderefSize = 0x95, OpCall2 = 0x98, OpCall4 = 0x99, OpCallRef = 0x9a, OpBitPiece = 0x9d, OpImplicitValue = 0x9e,
        OpImplicitPointer = 0xa0, OpAddrx = 0xa1, OpConstx = 0xa2, OpEntryValue = 0xa3, OpConstType = 0xa4,
        OpRegvalType = 0xa5, OpDerefType = 0xa6, OpXderefType = 0xa7, OpConvert = 0xa8, OpReinterpret = 0xa9,
        OpGnuEntryValue = 0xf3, OpGnuImplicitPointer = 0xf2, OpGnuParameterRef = 0xfa, OpGnuAddrIndex = 0xfb,
        OpGnuConstIndex = 0xfc, OpGnuConvert = 0xf7, OpGnuRegvalType = 0xf5, OpGnuDerefType = 0xf6, OpGnuConstType = 0xf4;

    /// <summary>The parameter's location, or null when it has no DW_AT_location (optimized out entirely).</summary>
    public static ParamLocation? Read(Die param)
    {
        if (!param.TryGet(DwAt.Location, out var a)) return null;
        var unit = param.Unit;
        switch (a.Form)
        {
            case DwForm.Exprloc or DwForm.Block or DwForm.Block1 or DwForm.Block2 or DwForm.Block4:
                return new ParamLocation([new LocationRange(0, ulong.MaxValue, Expression(unit.Block(a).ToArray(), unit))]);
            case DwForm.Loclistx:
            {
                // DWARF 5 §7.29: an array of offsets at loclists_base, each relative to that base.
                var c = new DwarfCursor(unit.Sections.Loclists, ".debug_loclists")
                    { Position = checked((int)(unit.LoclistsBase + a.Value * (unit.Dwarf64 ? 8UL : 4UL))) };
                return Loclists(unit, unit.LoclistsBase + c.Offset(unit.Dwarf64));
            }
            case DwForm.SecOffset or DwForm.Data4 or DwForm.Data8: // data4/8 are DWARF 2–3's loclistptr forms
                return unit.Version >= 5 ? Loclists(unit, a.Value) : Loc(unit, a.Value);
            default:
                return null;
        }
    }

    private static ParamLocation Loclists(DwarfUnit unit, ulong offset)
    {
        var c = new DwarfCursor(unit.Sections.Loclists, ".debug_loclists") { Position = checked((int)offset) };
        var ranges = new List<LocationRange>();
        LocationRange? fallback = null;
        var b = unit.BaseAddress;
        while (true)
        {
            var kind = c.U8();
            ulong lo, hi;
            switch (kind)
            {
                case 0x00: // DW_LLE_end_of_list
                    if (fallback is not null) ranges.Add(fallback);
                    return new ParamLocation(ranges);
                case 0x01: b = unit.AddressAt(c.Uleb()); continue; // DW_LLE_base_addressx
                case 0x02: lo = unit.AddressAt(c.Uleb()); hi = unit.AddressAt(c.Uleb()); break; // DW_LLE_startx_endx
                case 0x03: lo = unit.AddressAt(c.Uleb()); hi = lo + c.Uleb(); break; // DW_LLE_startx_length
                case 0x04: lo = b + c.Uleb(); hi = b + c.Uleb(); break; // DW_LLE_offset_pair
                case 0x05: fallback = new LocationRange(0, ulong.MaxValue, Counted(c, unit, c.Uleb())); continue; // DW_LLE_default_location
                case 0x06: b = c.Address(unit.AddressSize); continue; // DW_LLE_base_address
                case 0x07: lo = c.Address(unit.AddressSize); hi = c.Address(unit.AddressSize); break; // DW_LLE_start_end
                case 0x08: lo = c.Address(unit.AddressSize); hi = lo + c.Uleb(); break; // DW_LLE_start_length
                case 0x09: c.Uleb(); c.Uleb(); continue; // DW_LLE_GNU_view_pair (gcc -gvariable-location-views=incompat5): views only
                default: throw c.Bad($"unknown location list entry 0x{kind:x}");
            }
            ranges.Add(new LocationRange(lo, hi, Counted(c, unit, c.Uleb())));
        }
    }

    private static ParamLocation Loc(DwarfUnit unit, ulong offset)
    {
        var c = new DwarfCursor(unit.Sections.Loc, ".debug_loc") { Position = checked((int)offset) };
        var ranges = new List<LocationRange>();
        var b = unit.BaseAddress;
        var selector = unit.AddressSize == 8 ? ulong.MaxValue : (1UL << (8 * unit.AddressSize)) - 1;
        while (true)
        {
            var lo = c.Address(unit.AddressSize);
            var hi = c.Address(unit.AddressSize);
            if (lo == 0 && hi == 0) return new ParamLocation(ranges);
            if (lo == selector) { b = hi; continue; } // base address selection entry
            ranges.Add(new LocationRange(b + lo, b + hi, Counted(c, unit, c.U16())));
        }
    }

    private static IReadOnlyList<LocationPiece> Counted(DwarfCursor c, DwarfUnit unit, ulong length)
    {
        var at = c.Position;
        c.Skip(length);
        return Expression(c.Data.AsSpan(at, (int)length).ToArray(), unit);
    }

    /// <summary>The pieces of one location expression; an empty expression is an empty list (optimized out).</summary>
    public static IReadOnlyList<LocationPiece> Expression(byte[] expr, DwarfUnit unit)
    {
        var pieces = new List<LocationPiece>();
        var c = new DwarfCursor(expr, "location expression");
        LocationPiece? current = null;
        var computed = new LocationPiece(LocationKind.Computed, -1, 0, 0);
        while (!c.AtEnd)
        {
            var op = c.U8();
            // A location operation starts a piece; any further operation on it makes the value computed.
            LocationPiece? Starts(LocationPiece p) => current is null ? p : computed;
            switch (op)
            {
                case >= OpReg0 and <= OpReg31: current = Starts(new(LocationKind.Register, op - OpReg0, 0, 0)); break;
                case OpRegx: current = Starts(new(LocationKind.Register, (int)c.Uleb(), 0, 0)); break;
                case >= OpBreg0 and <= OpBreg31: current = Starts(new(LocationKind.RegisterOffset, op - OpBreg0, c.Sleb(), 0)); break;
                case OpBregx: { var r = (int)c.Uleb(); current = Starts(new(LocationKind.RegisterOffset, r, c.Sleb(), 0)); break; }
                case OpFbreg: current = Starts(new(LocationKind.FrameBase, -1, c.Sleb(), 0)); break;
                case OpAddr: current = Starts(new(LocationKind.Address, -1, (long)c.Address(unit.AddressSize), 0)); break;
                case OpPiece:
                {
                    var size = (int)c.Uleb();
                    pieces.Add((current ?? new LocationPiece(LocationKind.Empty, -1, 0, 0)) with { Size = size });
                    current = null;
                    break;
                }
                case OpBitPiece:
                {
                    var bits = c.Uleb();
                    c.Uleb(); // bit offset
                    pieces.Add((current is null ? new LocationPiece(LocationKind.Empty, -1, 0, 0) : computed) with { Size = (int)((bits + 7) / 8) });
                    current = null;
                    break;
                }
                default:
                    if (!SkipOperands(op, c, unit))
                    {
                        pieces.Add(computed); // an unknown operation: its operand length is unknown, so stop here
                        return pieces;
                    }
                    current = computed;
                    break;
            }
        }
        if (current is not null) pieces.Add(current);
        return pieces;
    }

    /// <summary>Skips the operands of a non-location operation (DWARF 5 §7.7.1, table 7.9); false for an unknown one.</summary>
    private static bool SkipOperands(byte op, DwarfCursor c, DwarfUnit unit)
    {
        switch (op)
        {
            case >= OpConst1u and <= OpConst8s: c.Skip(1UL << ((op - OpConst1u) / 2)); return true; // const1u/s .. const8u/s
            case OpConstu or OpPlusUconst or OpAddrx or OpConstx or OpConvert or OpReinterpret or OpGnuAddrIndex
                or OpGnuConstIndex or OpGnuConvert:
                c.Uleb(); return true;
            case OpConsts: c.Sleb(); return true;
            case OpPick or OpDerefSize or OpXderefSize: c.Skip(1); return true;
            case OpBra or OpSkip or OpCall2: c.Skip(2); return true;
            case OpCall4 or OpGnuParameterRef: c.Skip(4); return true;
            case OpCallRef: c.Offset(unit.Dwarf64); return true;
            case OpImplicitValue or OpEntryValue or OpGnuEntryValue: c.Skip(c.Uleb()); return true;
            case OpImplicitPointer or OpGnuImplicitPointer: c.Offset(unit.Dwarf64); c.Sleb(); return true;
            case OpConstType or OpGnuConstType: c.Uleb(); c.Skip(c.U8()); return true;
            case OpRegvalType or OpGnuRegvalType: c.Uleb(); c.Uleb(); return true;
            case OpDerefType or OpGnuDerefType or OpXderefType: c.Skip(1); c.Uleb(); return true;
            // No operands: lit0–31, deref, dup..rot, xderef, arithmetic and comparisons, nop, push_object_address,
            // form_tls_address, call_frame_cfa, stack_value, GNU_push_tls_address.
            case >= OpLit0 and <= 0x4f: return true;
            case 0x06 or (>= 0x12 and <= 0x14) or (>= 0x16 and <= 0x22) or (>= 0x24 and <= 0x27) or (>= 0x29 and <= 0x2e)
                or 0x96 or 0x97 or 0x9b or 0x9c or 0x9f or 0xe0:
                return true;
            default: return false;
        }
    }
}
