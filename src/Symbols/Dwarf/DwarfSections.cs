namespace Calltape.Symbols.Dwarf;

/// <summary>The DWARF sections the reader uses, inflated once on first use (FACTS.md: Go 1.19 and 1.26 compress them).</summary>
internal sealed class DwarfSections(ElfImage elf, byte[] info, byte[] abbrev)
{
    private byte[]? _str, _lineStr, _strOffsets, _addr, _loc, _loclists, _ranges, _rnglists, _line;

    public byte[] Info { get; } = info;
    public byte[] Abbrev { get; } = abbrev;
    public byte[] Str => _str ??= elf.SectionData(".debug_str") ?? [];
    public byte[] LineStr => _lineStr ??= elf.SectionData(".debug_line_str") ?? [];
    public byte[] StrOffsets => _strOffsets ??= elf.SectionData(".debug_str_offsets") ?? [];
    public byte[] Addr => _addr ??= elf.SectionData(".debug_addr") ?? [];
    public byte[] Loc => _loc ??= elf.SectionData(".debug_loc") ?? [];
    public byte[] Loclists => _loclists ??= elf.SectionData(".debug_loclists") ?? [];
    public byte[] Ranges => _ranges ??= elf.SectionData(".debug_ranges") ?? [];
    public byte[] Rnglists => _rnglists ??= elf.SectionData(".debug_rnglists") ?? [];
    public byte[] Line => _line ??= elf.SectionData(".debug_line") ?? [];
}
