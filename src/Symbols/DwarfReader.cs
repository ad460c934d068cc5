using Calltape.Capture.Model;
using Calltape.Symbols.Dwarf;
using Calltape.Symbols.Planning;

namespace Calltape.Symbols;

/// <summary>Reads the subset of DWARF 4 and 5 Calltape needs (functions, parameters, types) from an ElfImage.</summary>
/// <remarks>
/// LibObjectFile's DWARF reader handles only DWARF 4 (FACTS.md "Libraries"), so .debug_info and .debug_abbrev are parsed
/// here. Loading indexes every subprogram once; a lookup then decodes just that function's DIEs and types.
/// </remarks>
public sealed class DwarfReader
{
    private readonly DieIndex _index;
    private readonly TypeBuilder _types;
    private readonly string _path;

    private DwarfReader(DieIndex index, string path)
    {
        _index = index;
        _types = new TypeBuilder(index);
        _path = path;
    }

    /// <summary>
    /// The reader for a file's DWARF, from the file itself or else from its separate debug file (build-id or
    /// .gnu_debuglink, <see cref="DebugFileLocator"/>); null when neither has .debug_info.
    /// </summary>
    /// <param name="locator">Where debug files are searched; <see cref="DebugFileLocator.Default"/> when null.</param>
    public static DwarfReader? Load(ElfImage elf, DebugFileLocator? locator = null)
    {
        var info = elf.SectionData(".debug_info");
        string? debugFile = null;
        if (info is null || info.Length == 0)
        {
            debugFile = (locator ?? DebugFileLocator.Default).Find(elf);
            if (debugFile is null) return null;
            // The debug file keeps the binary's section addresses (objcopy --only-keep-debug), so DWARF's PCs apply as is.
            elf = ElfImage.Open(debugFile);
            info = elf.SectionData(".debug_info");
            if (info is null || info.Length == 0) return null;
        }
        var abbrev = elf.SectionData(".debug_abbrev") ?? [];
        try
        {
            return new DwarfReader(new DieIndex(new DwarfSections(elf, info, abbrev)), elf.Path) { DebugFile = debugFile };
        }
        catch (InvalidDataException e)
        {
            throw new Capture.CalltapeException($"{elf.Path}: malformed DWARF: {e.Message}", Capture.ExitCodes.BadInput, e);
        }
    }

    private InlineTable? _inlines;

    /// <summary>The binary's inlined calls by address (C, C++, Rust), read on first use.</summary>
    internal InlineTable Inlines
    {
        get
        {
            try
            {
                return _inlines ??= InlineTable.Build(_index);
            }
            catch (InvalidDataException e)
            {
                throw new Capture.CalltapeException($"{_path}: malformed DWARF: {e.Message}", Capture.ExitCodes.BadInput, e);
            }
        }
    }

    /// <summary>The separate debug file the DWARF came from, or null when it is in the binary itself.</summary>
    public string? DebugFile { get; private init; }

    /// <summary>DW_AT_producer of the compile unit of the function last found (e.g. "Go cmd/compile go1.19.8; regabi").</summary>
    public string? Producer { get; private set; }

    /// <summary>The function whose entry is lowPc, else the one named name (exact); null when DWARF does not describe it.</summary>
    public FunctionInfo? FindFunction(string name, ulong lowPc)
    {
        var byPc = lowPc == 0 ? [] : _index.AtLowPc(lowPc);
        var entry = byPc.FirstOrDefault(e => _index.NameOf(e) == name) ?? byPc.FirstOrDefault();
        entry ??= _index.Named(name).OrderBy(e => e.LowPc is null).ThenBy(e => e.Declaration).FirstOrDefault();
        if (entry is null) return null;
        try
        {
            return Describe(entry, name);
        }
        catch (InvalidDataException e)
        {
            throw new Capture.CalltapeException($"{_path}: malformed DWARF for {name}: {e.Message}", Capture.ExitCodes.BadInput, e);
        }
    }

    /// <summary>
    /// The byte offset of goid in Go's struct runtime.g (runtime/runtime2.go), read from DWARF because it moves
    /// between Go versions; null when the binary describes no runtime.g.
    /// </summary>
    public int? GoidOffset()
    {
        if (_index.GoRuntimeG is not { } g) return null;
        try
        {
            return _types.Build(g).Fields.FirstOrDefault(f => f.Name == "goid")?.Offset;
        }
        catch (InvalidDataException)
        {
            return null; // a malformed runtime.g costs the goroutine id, not the recording
        }
    }

    /// <summary>
    /// The Go type whose DW_AT_go_runtime_type (cmd/internal/dwarf: its descriptor's offset from runtime.types) is
    /// this, for an interface's dynamic type; null when no type has it. The first call indexes the units' top-level
    /// types, so only the analyzer, decoding interfaces, pays for it.
    /// </summary>
    public TypeDesc? GoTypeAt(ulong runtimeType)
    {
        _runtimeTypes ??= Dwarf.GoTypeIndex.Build(_index);
        if (!_runtimeTypes.TryGetValue(runtimeType, out var off)) return null;
        try
        {
            return _types.Build(off, Dwarf.TypeBuilder.PointerDepth - 1);
        }
        catch (InvalidDataException)
        {
            return null; // a malformed type costs the interface's value, not the conversion
        }
    }

    private Dictionary<ulong, ulong>? _runtimeTypes;

    private FunctionInfo Describe(SubprogramEntry entry, string requested)
    {
        var die = entry.Unit.ReadDie(entry.Offset);
        var origin = entry.Origin is { } o ? _index.DieAt(o) : null;
        var own = FormalParameters(die);
        // A concrete out-of-line instance (DW_AT_abstract_origin) may list no parameters of its own; the abstract
        // instance then holds the declaration (DWARF 5 §3.3.8.2).
        var decl = own.Count == 0 && origin is not null ? FormalParameters(origin) : own;

        var result = new List<ParamInfo>();
        // Only C++ has classes with special members; Go and Rust types are never passed by invisible reference.
        var producer = entry.Unit.Producer ?? "";
        var rust = producer.Contains("rustc", StringComparison.Ordinal);
        var cxx = !producer.StartsWith("Go ", StringComparison.Ordinal) && !rust;
        foreach (var p in decl)
        {
            var po = p.Reference(Dwarf.DwAt.AbstractOrigin) is { } r ? _index.DieAt(r) : null;
            var name = p.String(Dwarf.DwAt.Name) ?? po?.String(Dwarf.DwAt.Name) ?? $"arg{result.Count}";
            var type = p.Reference(Dwarf.DwAt.Type) ?? po?.Reference(Dwarf.DwAt.Type);
            // Go marks results with DW_AT_variable_parameter = 1 (cmd/compile/internal/dwarfgen).
            var isReturn = p.Flag(Dwarf.DwAt.VariableParameter) || (po?.Flag(Dwarf.DwAt.VariableParameter) ?? false);
            var location = ReadLocation(p);
            result.Add(new ParamInfo(name, ParamType(type, rust, cxx), isReturn)
            {
                PassedByReference = cxx && CxxAbi.PassedByReference(_index, type),
                IncompleteType = cxx && CxxDeclarations.IsIncomplete(_index, type),
                Location = location,
                EntryLocation = entry.LowPc is { } pc ? location?.At(pc) : null,
            });
        }
        // C and C++: the subprogram's own DW_AT_type is the return type; the planner needs it because a MEMORY-class
        // result takes RDI for its hidden pointer (SysV psABI §3.2.3). Go functions have no DW_AT_type.
        if ((die.Reference(Dwarf.DwAt.Type) ?? origin?.Reference(Dwarf.DwAt.Type)) is { } ret)
            result.Add(new ParamInfo("~r0", ParamType(ret, rust, cxx), IsReturn: true) 
            {
                PassedByReference = cxx && CxxAbi.PassedByReference(_index, ret),
                IncompleteType = cxx && CxxDeclarations.IsIncomplete(_index, ret),
            });

        Producer = entry.Unit.Producer;
        var lowPc = entry.LowPc ?? 0;
        return new FunctionInfo(_index.NameOf(entry) ?? requested, lowPc, result)
        {
            Producer = entry.Unit.Producer,
            FrameBaseIsCfa = FrameBaseIsCfa(die) || (origin is not null && FrameBaseIsCfa(origin)),
        };
    }

    private const byte DwOpCallFrameCfa = 0x9c; // DWARF 5 §2.5.1.6

    private static bool FrameBaseIsCfa(Dwarf.Die subprogram)
    {
        if (!subprogram.TryGet(Dwarf.DwAt.FrameBase, out var a)) return false;
        try
        {
            var block = subprogram.Unit.Block(a);
            return block.Length == 1 && block[0] == DwOpCallFrameCfa;
        }
        catch (InvalidDataException)
        {
            return false; // a location-list frame base: not the CFA form the check understands
        }
    }

    /// <summary>A parameter's location; malformed location data costs the cross-check, never the function.</summary>
    private static ParamLocation? ReadLocation(Dwarf.Die p)
    {
        try
        {
            return LocationReader.Read(p);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>
    /// A parameter's type; a Rust Option of a reference is the pointer it is, named as the Option, any other Option an
    /// Option kind (its discriminant a member of its own or a niche in the value), any other enum an Enum kind, with a
    /// default variant when niche-encoded (Planning/RustAbiDwarf.cs); a C++ std::string is text (Planning/CxxAbi.cs),
    /// also when clang only declares it (Planning/CxxDeclarations.cs).
    /// </summary>
    private Capture.Model.TypeDesc ParamType(ulong? type, bool rust, bool cxx)
    {
        var t = _types.Build(type);
        if (rust && RustAbiDwarf.NullablePointerPayload(_index, type) is { } payload) return _types.Build(payload) with { Name = t.Name };
        if (rust && RustAbiDwarf.Tagged(_index, type) is { } option)
            return new Capture.Model.TypeDesc(t.Name, Capture.Model.TypeKind.Option, t.Size)
            {
                Fields = [new("discriminant", option.TagOffset, _types.Build(option.TagType)), new("Some", option.ValueOffset, _types.Build(option.ValueType))],
                Count = option.None,
            };
        if (rust && RustAbiDwarf.Enum(_index, type) is { } e)
        {
            var tag = new Capture.Model.FieldDesc("discriminant", e.TagOffset, _types.Build(e.TagType));
            var variants = e.Variants.Select((v, k) => new Capture.Model.FieldDesc(v.Name, v.Offset,
                RustAbi.TextPayload(_types.Build(v.Payload)) with { Count = k == e.Default ? -1 : v.Discr })).ToArray();
            // A niche-encoded Option (None with a value, Some the default variant holding __0) is an Option whose
            // discriminant is the niche inside the value: None when it reads None's value, else Some.
            if (e.Default >= 0 && t.Name.StartsWith("Option<", StringComparison.Ordinal)
                && variants is [{ Name: "None", Type.Fields: [] } none, { Name: "Some", Type.Fields: [{ Name: "__0" } value] } some] && e.Default == 1)
                return new Capture.Model.TypeDesc(t.Name, Capture.Model.TypeKind.Option, t.Size)
                {
                    Fields = [tag, new("Some", some.Offset + value.Offset, value.Type)],
                    Count = none.Type.Count,
                };
            // Any other niche-encoded enum names its default variant by its field index in the enum's count (TypeDesc.Count).
            return new Capture.Model.TypeDesc(t.Name, Capture.Model.TypeKind.Enum, t.Size)
            {
                Fields = [tag, .. variants],
                Count = e.Default + 1,
            };
        }
        return cxx ? CxxAbi.StringsAsText(CxxDeclarations.Complete(_index, type, CxxAbi.SpellReference(_index, type, t))) : t;
    }

    private static List<Dwarf.Die> FormalParameters(Dwarf.Die subprogram) =>
        subprogram.Unit.Children(subprogram).Where(c => c.Tag == Dwarf.DwTag.FormalParameter).ToList();
}
