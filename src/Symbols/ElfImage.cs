using Calltape.Capture;
using Calltape.Capture.Model;
using LibObjectFile.Elf;

namespace Calltape.Symbols;

/// <summary>An opened x86-64 ELF file: its build-ids, function symbols, load segments and (inflated) sections.</summary>
/// <remarks>
/// LibObjectFile supplies the ELF model (section and program headers, symbol tables); bytes are read from the file on
/// demand so a 100 MB Go binary costs only its headers and symbol tables. The file is not kept open.
/// </remarks>
public sealed class ElfImage
{
    private readonly List<Segment> _loads;
    private readonly Dictionary<string, SectionRef> _sections;
    private readonly Dictionary<string, FunctionSymbol> _byName;

    private readonly record struct Segment(ulong VAddr, ulong FileOffset, ulong FileSize, ulong MemSize);
    private readonly record struct SectionRef(ulong Offset, ulong Size, bool NoBits, bool Compressed);

    private ElfImage(string path, List<Segment> loads, Dictionary<string, SectionRef> sections, List<FunctionSymbol> functions,
        bool positionIndependent)
    {
        Path = path;
        IsPositionIndependent = positionIndependent;
        _loads = loads;
        _sections = sections;
        Functions = functions;
        _byName = new Dictionary<string, FunctionSymbol>(StringComparer.Ordinal);
        foreach (var f in functions) _byName.TryAdd(f.Name, f); // first wins: .symtab before .dynsym, lowest address
        foreach (var name in new[] { ".note.gnu.build-id", ".note.go.buildid" })
            ReadNotes(name);
        // Notes can sit in any SHT_NOTE section (e.g. a combined .notes); scan them all once ids are still missing.
        if (GnuBuildId is null || GoBuildId is null)
            foreach (var name in sections.Keys)
                if (name.StartsWith(".note", StringComparison.Ordinal)) ReadNotes(name);
        IsGo = sections.ContainsKey(".gopclntab") || sections.ContainsKey(".go.buildinfo") || GoBuildId is not null;
        _goVersion = new(() => IsGo ? GoBuildInfo.Version(this) : null);
    }

    private readonly Lazy<string?> _goVersion;

    /// <summary>The Go toolchain that built this binary ("go1.19.8", from .go.buildinfo), read once; null when not Go or unknown.</summary>
    public string? GoVersion => _goVersion.Value;

    /// <summary>Opens and indexes an ELF file.</summary>
    public static ElfImage Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new CalltapeException($"{path}: no such file", ExitCodes.NotFound);
        ElfFile elf;
        try
        {
            using var fs = File.OpenRead(full);
            if (!ElfFile.IsElf(fs)) throw new CalltapeException($"{path}: not an ELF file", ExitCodes.BadInput);
            fs.Position = 0;
            elf = ElfFile.Read(fs, new ElfReaderOptions { UseSubStream = true });
        }
        catch (CalltapeException) { throw; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CalltapeException($"{path}: cannot read: {e.Message}", ExitCodes.Permission, e);
        }
        catch (Exception e) // LibObjectFile reports malformed headers as ObjectFileException and friends
        {
            throw new CalltapeException($"{path}: malformed ELF file: {e.Message}", ExitCodes.BadInput, e);
        }
        if (elf.FileClass != ElfFileClass.Is64 || elf.Arch != ElfArch.X86_64)
            throw new CalltapeException($"{path}: not an x86-64 ELF file ({elf.FileClass}, {elf.Arch})", ExitCodes.BadInput);

        var loads = elf.Segments.Where(s => s.Type == ElfSegmentTypeCore.Load)
            .Select(s => new Segment(s.VirtualAddress, s.Position, s.Size, s.SizeInMemory)).ToList();
        var sections = new Dictionary<string, SectionRef>(StringComparer.Ordinal);
        foreach (var s in elf.Sections)
        {
            var name = s.Name.Value;
            if (string.IsNullOrEmpty(name)) continue;
            sections.TryAdd(name, new SectionRef(s.Position, s.Size, s.Type == ElfSectionType.NoBits,
                (s.Flags & ElfSectionFlags.Compressed) != 0));
        }
        var image = new ElfImage(full, loads, sections, CollectFunctions(elf), elf.FileType == ElfFileType.Dynamic);
        return image.IsGo && !sections.ContainsKey(".symtab") ? image.WithPclnTabFunctions(elf) : image;
    }

    /// <summary>A stripped Go binary has no .symtab, but .gopclntab still names every function (FACTS.md "Go specifics").</summary>
    private ElfImage WithPclnTabFunctions(ElfFile elf)
    {
        var tab = SectionData(".gopclntab");
        if (tab is null) return this;
        var text = elf.Sections.FirstOrDefault(s => s.Name.Value == ".text")?.VirtualAddress ?? 0;
        var functions = Functions.ToList(); // .dynsym entries of a cgo binary stay; pclntab adds the Go functions
        var seen = functions.Select(f => (f.Name, f.Address)).ToHashSet();
        functions.AddRange(GoPclnTab.Read(tab, text).Where(f => seen.Add((f.Name, f.Address))));
        functions.Sort((a, b) => a.Address != b.Address ? a.Address.CompareTo(b.Address) : string.CompareOrdinal(a.Name, b.Name));
        return new ElfImage(Path, _loads, _sections, functions, IsPositionIndependent);
    }

    /// <summary>
    /// This image plus the function symbols of its separate debug file, when it has no .symtab of its own
    /// (strip --strip-all keeps only .dynsym; objcopy --only-keep-debug keeps .symtab in the debug file). Go binaries
    /// use .gopclntab instead. The debug file is linked at the same addresses, so its symbols apply as they are.
    /// </summary>
    public ElfImage WithDebugFileSymbols(DebugFileLocator? locator = null)
    {
        if (IsGo || _sections.ContainsKey(".symtab")) return this;
        if ((locator ?? DebugFileLocator.Default).Find(this) is not { } path) return this;
        var functions = Functions.ToList();
        var seen = functions.Select(f => (f.Name, f.Address)).ToHashSet();
        functions.AddRange(Open(path).Functions.Where(f => seen.Add((f.Name, f.Address))));
        functions.Sort((a, b) => a.Address != b.Address ? a.Address.CompareTo(b.Address) : string.CompareOrdinal(a.Name, b.Name));
        return new ElfImage(Path, _loads, _sections, functions, IsPositionIndependent);
    }

    /// <summary>STT_FUNC symbols with a value, defined in this file; .symtab first so its names win over .dynsym.</summary>
    private static List<FunctionSymbol> CollectFunctions(ElfFile elf)
    {
        var tables = elf.Sections.OfType<ElfSymbolTable>()
            .OrderBy(t => t.Type == ElfSectionType.SymbolTable ? 0 : 1);
        var seen = new HashSet<(string, ulong)>();
        var result = new List<FunctionSymbol>();
        foreach (var table in tables)
            foreach (var sym in table.Entries)
            {
                if (sym.Type != ElfSymbolType.Function || sym.Value == 0 || sym.SectionLink.IsEmpty) continue;
                var name = sym.Name.Value;
                if (string.IsNullOrEmpty(name) || !seen.Add((name, sym.Value))) continue;
                result.Add(new FunctionSymbol(name, sym.Value, sym.Size));
            }
        result.Sort((a, b) => a.Address != b.Address ? a.Address.CompareTo(b.Address) : string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    public string Path { get; }

    /// <summary>Lowercase hex of the NT_GNU_BUILD_ID note, or null.</summary>
    public string? GnuBuildId { get; private set; }

    /// <summary>The Go linker's build id string (note type 4, owner "Go"), or null.</summary>
    public string? GoBuildId { get; private set; }

    public bool IsGo { get; }

    /// <summary>ET_DYN (a PIE executable or a shared library): loaded at a bias chosen at run time, so addresses read from
    /// the process's memory are the file's plus that bias (ELF gABI, "Program Loading").</summary>
    public bool IsPositionIndependent { get; }

    /// <summary>The link-time bounds [Lo, Hi) of the loaded segments (PT_LOAD p_vaddr to p_vaddr + p_memsz): what the
    /// binary itself occupies once mapped, moved by the load bias.</summary>
    public (ulong Lo, ulong Hi) ImageBounds =>
        _loads.Count == 0 ? (0, 0) : (_loads.Min(s => s.VAddr), _loads.Max(s => s.VAddr + s.MemSize));

    /// <summary>Function symbols ordered by address (from .gopclntab when a Go binary has no symbol table).</summary>
    public IReadOnlyList<FunctionSymbol> Functions { get; }

    /// <summary>The function with exactly this symbol name, or null.</summary>
    public FunctionSymbol? FindFunction(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The names closest to a name that was not found, best first.</summary>
    public IReadOnlyList<string> SuggestNames(string name, int max = 5) => NameSuggester.Suggest(_byName.Keys, name, max);

    /// <summary>The file offset of a virtual address: vaddr - p_vaddr + p_offset of the PT_LOAD holding it (ELF gABI, "Program Header").</summary>
    public ulong FileOffsetOf(ulong vaddr)
    {
        foreach (var s in _loads)
            if (vaddr >= s.VAddr && vaddr - s.VAddr < s.FileSize)
                return vaddr - s.VAddr + s.FileOffset;
        throw new CalltapeException($"{Path}: address 0x{vaddr:x} is not in any loadable segment of the file", ExitCodes.BadInput);
    }

    /// <summary>Up to length bytes of the file starting at a virtual address (fewer at the end of its segment).</summary>
    public byte[] ReadCode(ulong vaddr, int length)
    {
        var offset = FileOffsetOf(vaddr);
        var seg = _loads.First(s => vaddr >= s.VAddr && vaddr - s.VAddr < s.FileSize);
        var available = seg.FileOffset + seg.FileSize - offset;
        return ReadAt(offset, (int)Math.Min((ulong)Math.Max(0, length), available));
    }

    /// <summary>The identity recorded for this binary in a capture session.</summary>
    public BinaryInfo Describe()
    {
        var info = new FileInfo(Path);
        // FileInfo has 100 ns resolution; that is enough to notice a rebuilt binary, the build-id is the real key.
        var mtimeNs = (info.LastWriteTimeUtc - DateTime.UnixEpoch).Ticks * 100;
        return new BinaryInfo(Path, GnuBuildId, GoBuildId, info.Length, mtimeNs);
    }

    /// <summary>True when the file has a section with this name (a .zdebug_* twin counts for .debug_*).</summary>
    public bool HasSection(string name) => _sections.ContainsKey(name) || _sections.ContainsKey(ZName(name));

    /// <summary>A section's bytes, inflated when compressed (SHF_COMPRESSED or legacy .zdebug_*); null if absent.</summary>
    public byte[]? SectionData(string name)
    {
        if (_sections.TryGetValue(name, out var s))
        {
            if (s.NoBits) return [];
            var raw = ReadAt(s.Offset, checked((int)s.Size));
            return s.Compressed ? SectionInflater.InflateChdr(raw, name, Path) : raw;
        }
        var z = ZName(name);
        if (z != name && _sections.TryGetValue(z, out var zs) && !zs.NoBits)
            return SectionInflater.InflateZdebug(ReadAt(zs.Offset, checked((int)zs.Size)), z, Path);
        return null;
    }

    private static string ZName(string name) =>
        name.StartsWith(".debug_", StringComparison.Ordinal) ? ".zdebug_" + name[".debug_".Length..] : name;

    private byte[] ReadAt(ulong offset, int length)
    {
        var buf = new byte[length];
        using var handle = File.OpenHandle(Path);
        var done = 0;
        while (done < length)
        {
            var n = RandomAccess.Read(handle, buf.AsSpan(done), (long)offset + done);
            if (n == 0) throw new CalltapeException($"{Path}: file is truncated at offset 0x{offset + (ulong)done:x}", ExitCodes.BadInput);
            done += n;
        }
        return buf;
    }

    private void ReadNotes(string section)
    {
        if (!_sections.TryGetValue(section, out var s) || s.NoBits || s.Size == 0 || s.Size > 1 << 20) return;
        foreach (var note in ElfNotes.Parse(ReadAt(s.Offset, (int)s.Size)))
        {
            if (note.Name == "GNU" && note.Type == ElfNotes.GnuBuildIdType)
                GnuBuildId ??= Convert.ToHexStringLower(note.Desc);
            else if (note.Name == "Go" && note.Type == ElfNotes.GoBuildIdType)
                GoBuildId ??= System.Text.Encoding.UTF8.GetString(note.Desc).TrimEnd('\0');
        }
    }
}
