namespace Calltape.Symbols.Dwarf;

/// <summary>One unit of .debug_info: its header (DWARF 4 §7.5.1.1 and DWARF 5 §7.5.1), and the decoding of its DIEs'
/// attribute forms, which depends on the header (offset size, address size) and on the CU's str_offsets/addr bases.</summary>
internal sealed class DwarfUnit
{
    private readonly DwarfSections _s;

    private DwarfUnit(DwarfSections s) => _s = s;

    public ulong Offset { get; private init; }
    public ulong End { get; private init; }
    public ulong FirstDie { get; private init; }
    public int Version { get; private init; }
    public int AddressSize { get; private init; }
    public bool Dwarf64 { get; private init; }
    public AbbrevTable Abbrevs { get; private init; } = null!;
    public ulong StrOffsetsBase { get; set; }
    public ulong AddrBase { get; set; }
    public string? Producer { get; set; }

    /// <summary>The CU's DW_AT_low_pc: the default base address of its location lists (DWARF 5 §2.6.2).</summary>
    public ulong BaseAddress { get; set; }

    /// <summary>DW_AT_loclists_base: where DW_FORM_loclistx offsets start in .debug_loclists (DWARF 5 §7.29).</summary>
    public ulong LoclistsBase { get; set; }

    public DwarfSections Sections => _s;

    /// <summary>Reads the unit header at the cursor and leaves the cursor at the next unit; null for unsupported units.</summary>
    public static DwarfUnit? ReadHeader(DwarfSections s, DwarfCursor c, Dictionary<ulong, AbbrevTable> abbrevCache)
    {
        var start = (ulong)c.Position;
        ulong length = c.U32();
        var dwarf64 = length == 0xffff_ffff; // 64-bit DWARF escape (DWARF 5 §7.4)
        if (dwarf64) length = c.U64();
        var bodyStart = (ulong)c.Position;
        var end = bodyStart + length;
        if (end > (ulong)c.Data.Length || end < bodyStart) throw c.Bad("unit length runs past the end of .debug_info");
        var version = c.U16();
        ulong abbrevOffset;
        int addressSize;
        var unitType = 1; // DW_UT_compile
        if (version >= 5)
        {
            unitType = c.U8();
            addressSize = c.U8();
            abbrevOffset = c.Offset(dwarf64);
            if (unitType is 4 or 5) c.U64(); // skeleton / split_compile: dwo_id
            else if (unitType is 2 or 6) { c.U64(); c.Offset(dwarf64); } // type units: signature, type_offset
        }
        else
        {
            abbrevOffset = c.Offset(dwarf64);
            addressSize = c.U8();
        }
        var firstDie = (ulong)c.Position;
        c.Position = checked((int)end);
        if (version is < 2 or > 5 || unitType is not (1 or 3 or 4)) return null; // only compile and partial units describe functions
        if (!abbrevCache.TryGetValue(abbrevOffset, out var abbrevs))
            abbrevCache[abbrevOffset] = abbrevs = AbbrevTable.Parse(s.Abbrev, abbrevOffset);
        return new DwarfUnit(s)
        {
            Offset = start, End = end, FirstDie = firstDie, Version = version, AddressSize = addressSize,
            Dwarf64 = dwarf64, Abbrevs = abbrevs,
            StrOffsetsBase = dwarf64 ? 16UL : 8UL, // the base points past the contribution header (DWARF 5 §7.26)
            AddrBase = dwarf64 ? 16UL : 8UL,      // likewise for .debug_addr (DWARF 5 §7.27)
            LoclistsBase = dwarf64 ? 20UL : 12UL, // and .debug_loclists, whose header is longer (DWARF 5 §7.29)
        };
    }

    public bool Contains(ulong dieOffset) => dieOffset >= FirstDie && dieOffset < End;

    /// <summary>Decodes the DIE at an offset of .debug_info (a null entry when its abbreviation code is 0).</summary>
    public Die ReadDie(ulong offset)
    {
        var c = new DwarfCursor(_s.Info, ".debug_info") { Position = checked((int)offset) };
        var code = c.Uleb();
        if (code == 0) return new Die(this, offset, 0, false, [], (ulong)c.Position);
        var abbrev = Abbrevs.Get(code, c);
        var attrs = new AttrValue[abbrev.Attrs.Length];
        for (var i = 0; i < attrs.Length; i++)
        {
            var spec = abbrev.Attrs[i];
            attrs[i] = ReadForm(c, spec.Name, spec.Form, spec.ImplicitConst);
        }
        return new Die(this, offset, abbrev.Tag, abbrev.HasChildren, attrs, (ulong)c.Position);
    }

    /// <summary>The direct children of a DIE, in order.</summary>
    public IEnumerable<Die> Children(Die parent)
    {
        if (!parent.HasChildren) yield break;
        var offset = parent.Next;
        while (offset < End)
        {
            var child = ReadDie(offset);
            if (child.IsNull) yield break;
            yield return child;
            offset = SiblingOf(child);
        }
    }

    /// <summary>The offset of the DIE after this one and all its descendants.</summary>
    public ulong SiblingOf(Die die)
    {
        if (!die.HasChildren) return die.Next;
        if (die.Reference(DwAt.Sibling) is { } sib && sib > die.Offset && sib <= End) return sib;
        var offset = die.Next;
        while (offset < End)
        {
            var child = ReadDie(offset);
            if (child.IsNull) return child.Next;
            offset = SiblingOf(child);
        }
        return End;
    }

    private AttrValue ReadForm(DwarfCursor c, ushort name, ushort form, long implicitConst)
    {
        switch (form)
        {
            case DwForm.Addr: return new(name, form, c.Address(AddressSize));
            case DwForm.Data1 or DwForm.Ref1 or DwForm.Flag or DwForm.Strx1 or DwForm.Addrx1: return Rel(name, form, c.U8());
            case DwForm.Data2 or DwForm.Ref2 or DwForm.Strx2 or DwForm.Addrx2: return Rel(name, form, c.U16());
            case DwForm.Strx3 or DwForm.Addrx3: return new(name, form, c.U24());
            case DwForm.Data4 or DwForm.Ref4 or DwForm.RefSup4 or DwForm.Strx4 or DwForm.Addrx4: return Rel(name, form, c.U32());
            case DwForm.Data8 or DwForm.Ref8 or DwForm.RefSig8 or DwForm.RefSup8: return Rel(name, form, c.U64());
            case DwForm.Data16: { var at = c.Position; c.Skip(16); return new(name, form, 0, at, 16); }
            case DwForm.Sdata: return new(name, form, (ulong)c.Sleb());
            case DwForm.Udata or DwForm.RefUdata or DwForm.Strx or DwForm.Addrx or DwForm.Loclistx or DwForm.Rnglistx
                or DwForm.GnuAddrIndex or DwForm.GnuStrIndex:
                return Rel(name, form, c.Uleb());
            case DwForm.String:
            {
                var at = c.Position;
                var end = Array.IndexOf(c.Data, (byte)0, at);
                if (end < 0) throw c.Bad("unterminated string");
                c.Position = end + 1;
                return new(name, form, (ulong)at);
            }
            case DwForm.Strp or DwForm.LineStrp or DwForm.SecOffset or DwForm.StrpSup or DwForm.GnuStrpAlt or DwForm.GnuRefAlt:
                return new(name, form, c.Offset(Dwarf64));
            case DwForm.RefAddr: // address-sized in DWARF 2, offset-sized from DWARF 3 (DWARF 5 §7.5.5)
                return new(name, form, Version == 2 ? c.Address(AddressSize) : c.Offset(Dwarf64));
            case DwForm.Block1: return Block(c, name, form, c.U8());
            case DwForm.Block2: return Block(c, name, form, c.U16());
            case DwForm.Block4: return Block(c, name, form, c.U32());
            case DwForm.Block or DwForm.Exprloc: return Block(c, name, form, c.Uleb());
            case DwForm.FlagPresent: return new(name, form, 1);
            case DwForm.ImplicitConst: return new(name, form, (ulong)implicitConst);
            case DwForm.Indirect: return ReadForm(c, name, (ushort)c.Uleb(), implicitConst);
            default: throw c.Bad($"unsupported attribute form 0x{form:x}");
        }
    }

    /// <summary>CU-relative references (ref1..ref8, ref_udata) become absolute .debug_info offsets here.</summary>
    private AttrValue Rel(ushort name, ushort form, ulong value) =>
        form is DwForm.Ref1 or DwForm.Ref2 or DwForm.Ref4 or DwForm.Ref8 or DwForm.RefUdata
            ? new(name, form, Offset + value)
            : new(name, form, value);

    private static AttrValue Block(DwarfCursor c, ushort name, ushort form, ulong length)
    {
        var at = c.Position;
        c.Skip(length);
        return new(name, form, 0, at, (int)length);
    }

    /// <summary>The string an attribute names, or null for forms that point into files we do not have (supplementary).</summary>
    public string? String(AttrValue a) => a.Form switch
    {
        DwForm.String => new DwarfCursor(_s.Info, ".debug_info").CString(a.Value),
        DwForm.Strp => new DwarfCursor(_s.Str, ".debug_str").CString(a.Value),
        DwForm.LineStrp => new DwarfCursor(_s.LineStr, ".debug_line_str").CString(a.Value),
        DwForm.Strx or DwForm.Strx1 or DwForm.Strx2 or DwForm.Strx3 or DwForm.Strx4 or DwForm.GnuStrIndex =>
            new DwarfCursor(_s.Str, ".debug_str").CString(StrOffset(a.Value)),
        _ => null,
    };

    /// <summary>An address attribute's value, resolving DW_FORM_addrx* through .debug_addr at the CU's addr_base.</summary>
    public ulong? Address(AttrValue a)
    {
        switch (a.Form)
        {
            case DwForm.Addr: return a.Value;
            case DwForm.Addrx or DwForm.Addrx1 or DwForm.Addrx2 or DwForm.Addrx3 or DwForm.Addrx4 or DwForm.GnuAddrIndex:
                return AddressAt(a.Value);
            default: return null;
        }
    }

    /// <summary>Entry index of .debug_addr at the CU's addr_base (DW_FORM_addrx, DW_LLE_*x).</summary>
    public ulong AddressAt(ulong index)
    {
        var c = new DwarfCursor(_s.Addr, ".debug_addr") { Position = checked((int)(AddrBase + index * (ulong)AddressSize)) };
        return c.Address(AddressSize);
    }

    /// <summary>A reference as an absolute .debug_info offset; null for type signatures and supplementary files.</summary>
    public static ulong? Reference(AttrValue a) =>
        a.Form is DwForm.Ref1 or DwForm.Ref2 or DwForm.Ref4 or DwForm.Ref8 or DwForm.RefUdata or DwForm.RefAddr ? a.Value : null;

    /// <summary>A constant-class value; data forms are unsigned except sdata and implicit_const (DWARF 5 §7.5.5).</summary>
    public static long? Constant(AttrValue a) => a.Form switch
    {
        DwForm.Data1 or DwForm.Data2 or DwForm.Data4 or DwForm.Data8 or DwForm.Udata or DwForm.Sdata or DwForm.ImplicitConst => (long)a.Value,
        _ => null,
    };

    public ReadOnlySpan<byte> Block(AttrValue a) => _s.Info.AsSpan(a.BlockStart, a.BlockLength);

    private ulong StrOffset(ulong index)
    {
        var size = Dwarf64 ? 8UL : 4UL;
        var c = new DwarfCursor(_s.StrOffsets, ".debug_str_offsets") { Position = checked((int)(StrOffsetsBase + index * size)) };
        return c.Offset(Dwarf64);
    }
}
