using LibObjectFile.Elf;

namespace Calltape.Symbols;

/// <summary>Turns code addresses of one ELF file (link-time virtual addresses) into source frames.</summary>
/// <remarks>
/// Go binaries use .gopclntab (<see cref="GoLineTable"/>): function, file:line and inlined calls, even when stripped.
/// Other binaries use .symtab/.dynsym function symbols, and .debug_line for file:line when the binary has it; where
/// DWARF describes inlined calls (DW_TAG_inlined_subroutine), an address inside one gives its chain of frames, each
/// outer one at the call site of the next (DW_AT_call_file/line), as addr2line -i reports them.
/// </remarks>
public sealed class BinarySymbolizer
{
    private readonly ElfImage _image;
    private readonly GoLineTable? _go;
    private readonly ulong[] _starts;
    private readonly Lazy<DwarfLines?> _lines;
    private readonly (ulong VAddr, ulong Offset, ulong Size)[] _loads;
    private readonly Lazy<Dwarf.InlineTable?> _inlines;

    private BinarySymbolizer(ElfImage image, GoLineTable? go, (ulong, ulong, ulong)[] loads)
    {
        _image = image;
        _go = go;
        _loads = loads;
        _starts = image.Functions.Select(f => f.Address).ToArray();
        // Parsed on the first symbol-table lookup: a Go binary answers from .gopclntab and never needs it.
        _lines = new(() => image.SectionData(".debug_line") is { Length: > 0 } lines
            ? DwarfLines.Parse(lines, image.SectionData(".debug_line_str"), image.SectionData(".debug_str"))
            : null);
        _inlines = new(() => go is null && image.SectionData(".debug_line") is { Length: > 0 } ? ReadInlines(image) : null);
    }

    /// <summary>The file this symbolizer reads.</summary>
    public string Path => _image.Path;

    /// <summary>True when inlined frames can be reported: a Go binary whose inline trees were found, or DWARF that
    /// describes inlined calls.</summary>
    public bool HasInlineInfo => _goInlines || _inlines.Value is { Count: > 0 };

    private bool _goInlines;

    /// <summary>Opens a file (a CalltapeException if it is not a readable x86-64 ELF file).</summary>
    public static BinarySymbolizer Open(string path)
    {
        var image = ElfImage.Open(path);
        var (text, goFunc, loads) = ReadAddresses(image.Path);
        var tab = image.IsGo ? image.SectionData(".gopclntab") : null;
        if (tab is null || tab.Length == 0) return new BinarySymbolizer(image, null, loads);
        Func<ulong, int, byte[]?>? readGoFunc = goFunc is { } gf ? (off, len) => TryRead(image, gf + off, len) : null;
        return new BinarySymbolizer(image, GoLineTable.Open(tab, text, readGoFunc), loads) { _goInlines = readGoFunc is not null };
    }

    /// <summary>The link-time address of a file offset: p_vaddr + (offset - p_offset) of the PT_LOAD holding it (ELF gABI,
    /// "Program Header"), or null when no loadable segment holds it.</summary>
    public ulong? VaddrOfFileOffset(ulong offset)
    {
        foreach (var (vaddr, off, size) in _loads)
            if (offset >= off && offset - off < size) return vaddr + (offset - off);
        return null;
    }

    /// <summary>
    /// The source frames at a code address, innermost first; empty when no function holds it. For a return address
    /// pass the address minus one, so a call that ends its function resolves to the call, not to what follows.
    /// </summary>
    public IReadOnlyList<SourceFrame> Lookup(ulong vaddr)
    {
        if (_go is not null)
        {
            var frames = _go.Lookup(vaddr);
            if (frames.Count > 0) return frames;
        }
        var i = Array.BinarySearch(_starts, vaddr);
        if (i < 0) i = ~i - 1;
        else while (i + 1 < _starts.Length && _starts[i + 1] == vaddr) i++;
        // Several symbols can share an address (aliases): the first that covers the address names it.
        for (var j = i; j >= 0 && _starts[j] == _starts[i]; j--)
        {
            var f = _image.Functions[j];
            if (vaddr - f.Address >= Math.Max(f.Size, 1)) continue;
            var at = _lines.Value?.Lookup(vaddr);
            if (_inlines.Value?.At(vaddr) is { Count: > 0 } chain && _lines.Value is { } lines) return Inlined(f.Name, at, chain, lines);
            return [new SourceFrame(f.Name, at?.File, at?.Line ?? 0, false)];
        }
        return [];
    }

    /// <summary>The inlined calls DWARF describes; none when it cannot be read, so a stack keeps its real functions and
    /// lines (from .symtab and .debug_line) rather than failing the conversion.</summary>
    private static Dwarf.InlineTable? ReadInlines(ElfImage image)
    {
        try
        {
            return DwarfReader.Load(image)?.Inlines;
        }
        catch (Capture.CalltapeException)
        {
            return null;
        }
    }

    /// <summary>Innermost first: the innermost inlined function at the PC's own line, each enclosing one at the call
    /// site of the call it holds, and last the real function at the site of the outermost call.</summary>
    private static List<SourceFrame> Inlined(string function, (string? File, int Line)? at, List<Dwarf.InlinedCall> chain, DwarfLines lines)
    {
        var frames = new List<SourceFrame>(chain.Count + 1) { new(chain[^1].Name ?? function, at?.File, at?.Line ?? 0, true) };
        for (var k = chain.Count - 2; k >= 0; k--)
            frames.Add(new SourceFrame(chain[k].Name ?? function, lines.FileName(chain[k + 1].StmtList, chain[k + 1].CallFile), chain[k + 1].CallLine, true));
        frames.Add(new SourceFrame(function, lines.FileName(chain[0].StmtList, chain[0].CallFile), chain[0].CallLine, false));
        return frames;
    }

    private static byte[]? TryRead(ElfImage image, ulong vaddr, int length)
    {
        try
        {
            return image.ReadCode(vaddr, length);
        }
        catch (Capture.CalltapeException)
        {
            return null;
        }
    }

    /// <summary>
    /// .text's address and moduledata.gofunc: the symbol go:func.* (Go 1.20+) or go.func.* (Go 1.18-1.19) of
    /// .symtab, the base of funcdata offsets (runtime/symtab.go, funcdata). A stripped binary has no such symbol.
    /// </summary>
    private static (ulong Text, ulong? GoFunc, (ulong, ulong, ulong)[] Loads) ReadAddresses(string path)
    {
        using var fs = File.OpenRead(path);
        var elf = ElfFile.Read(fs, new ElfReaderOptions { UseSubStream = true });
        var loads = elf.Segments.Where(s => s.Type == ElfSegmentTypeCore.Load).Select(s => (s.VirtualAddress, s.Position, s.Size)).ToArray();
        var text = elf.Sections.FirstOrDefault(s => s.Name.Value == ".text")?.VirtualAddress ?? 0;
        ulong? goFunc = null;
        foreach (var table in elf.Sections.OfType<ElfSymbolTable>())
            foreach (var sym in table.Entries)
                if (sym.Name.Value is "go:func.*" or "go.func.*" && sym.Value != 0) { goFunc = sym.Value; break; }
        return (text, goFunc, loads);
    }
}
