using Calltape.Capture.Decoding;
using Calltape.Capture.Model;
using LibObjectFile.Elf;

namespace Calltape.Symbols;

/// <summary>Names the dynamic types of Go interfaces from the traced binary, for the decoder (offline, in the analyzer).</summary>
/// <remarks>
/// An <c>interface{}</c>'s first word is a *_type; a non-empty interface's is an *itab whose second word is the
/// *_type (runtime/runtime2.go itab, internal/abi.ITab: Inter, Type, ...). Itabs the compiler generated are in the
/// binary's data, and every Go type DIE carries DW_AT_go_runtime_type: its descriptor's offset from runtime.types
/// (moduledata.types, the start of .rodata; measured on Go 1.19 and 1.26). Addresses are link-time ones: the decoder
/// subtracts the load bias of a position-independent binary (-buildmode=pie) first, and an itab's type word in the
/// file is link-time too (Go's linker writes the R_X86_64_RELATIVE addend into the section as well, measured on 1.19
/// and 1.26). Itabs built at run time (type assertions to a non-empty interface) are not in the file.
/// </remarks>
public sealed class GoDynamicTypes : IDynamicTypes
{
    private readonly ElfImage _elf;
    private readonly DwarfReader _dwarf;
    private readonly ulong _typesBase;
    private readonly Dictionary<ulong, TypeDesc?> _types = new();

    private GoDynamicTypes(ElfImage elf, DwarfReader dwarf, ulong typesBase)
    {
        _elf = elf;
        _dwarf = dwarf;
        _typesBase = typesBase;
    }

    /// <summary>The names of a Go binary's types, or null when it has no runtime.types symbol (stripped) or no DWARF.</summary>
    public static GoDynamicTypes? Open(ElfImage elf, DwarfReader? dwarf)
    {
        if (dwarf is null || !elf.IsGo || TypesBase(elf.Path) is not { } b) return null;
        return new GoDynamicTypes(elf, dwarf, b);
    }

    public TypeDesc? TypeAt(ulong address)
    {
        if (_types.TryGetValue(address, out var t)) return t;
        return _types[address] = address < _typesBase ? null : _dwarf.GoTypeAt(address - _typesBase);
    }

    public TypeDesc? ItabType(ulong address)
    {
        byte[] word;
        try
        {
            word = _elf.ReadCode(address + 8, 8);
        }
        catch (Capture.CalltapeException)
        {
            return null; // not in the file: an itab made at run time
        }
        return word.Length == 8 ? TypeAt(BitConverter.ToUInt64(word)) : null;
    }

    /// <summary>The address of runtime.types from .symtab.</summary>
    private static ulong? TypesBase(string path)
    {
        using var fs = File.OpenRead(path);
        var elf = ElfFile.Read(fs, new ElfReaderOptions { UseSubStream = true });
        foreach (var table in elf.Sections.OfType<ElfSymbolTable>())
            foreach (var sym in table.Entries)
                if (sym.Name.Value == "runtime.types" && sym.Value != 0) return sym.Value;
        return null;
    }
}
