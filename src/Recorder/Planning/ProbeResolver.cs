using Calltape.Capture;
using Calltape.Capture.Model;
using Calltape.Recorder.Bpf;
using Calltape.Symbols;

namespace Calltape.Recorder.Planning;

/// <summary>Turns -p names and globs into probe specs for one binary: symbol lookup, then the capture plan. Pure: no kernel.</summary>
/// <remarks>
/// A -p text may end with a signature, "main.handle(id int64, name string)" or "parse(const char *s, int n)"
/// (SignatureParser): it describes the parameters when DWARF does not (stripped binaries, Go assembly) and wins over
/// DWARF when both exist, because the user said so.
/// </remarks>
internal static class ProbeResolver
{
    public static (BinaryInfo Binary, IReadOnlyList<ProbeSpec> Probes) Resolve(string binaryPath, IReadOnlyList<string> functions, PlanOptions options,
        bool returns = false)
    {
        if (functions.Count == 0) throw new CalltapeException("no probes: give at least one -p FUNCTION");
        var elf = ElfImage.Open(binaryPath).WithDebugFileSymbols(); // a fully stripped binary: names from its debug file
        var symbols = new List<FunctionSymbol>();
        var signatures = new List<string?>();
        var addresses = new HashSet<ulong>(); // a function named twice (or by a name and a glob) is probed once
        var demangled = new Lazy<DemangleIndex>(() => new DemangleIndex(elf.Functions));
        foreach (var text in functions.Distinct(StringComparer.Ordinal))
        {
            // A name with parentheses that is a symbol or a demangled C++ name ("Shop::total(int) const") is a name,
            // not a signature.
            var isName = elf.FindFunction(text) is not null || demangled.Value.Exact(text) is { Count: > 0 };
            var (name, signature) = isName ? (text, null) : SignatureParser.Split(text);
            if (signature is not null) SignatureParser.Parse(name, signature, elf.IsGo); // a bad signature fails before any lookup
            foreach (var sym in Lookup(elf, demangled, name, binaryPath))
                if (addresses.Add(sym.Address))
                {
                    symbols.Add(sym);
                    signatures.Add(signature);
                }
        }
        // DWARF is read only to plan: the names, types and locations of the probed functions' parameters.
        var dwarf = DwarfReader.Load(elf);
        var probes = new List<ProbeSpec>(symbols.Count);
        var infos = new List<FunctionInfo?>(symbols.Count);
        for (var i = 0; i < symbols.Count; i++)
        {
            var sym = symbols[i];
            var fromDwarf = dwarf?.FindFunction(sym.Name, sym.Address);
            var info = signatures[i] is { } sig
                ? SignatureParser.Parse(sym.Name, sig, elf.IsGo, sym.Address) with { Producer = fromDwarf?.Producer }
                : fromDwarf;
            infos.Add(info);
            var probe = ProbePlanner.Plan(probes.Count, 0, elf, sym, info, options);
            if (probe.Abi == AbiKind.GoStack && signatures[i] is null && info is { Params.Count: 0 })
                // The Go declaration of an assembly function has no body, so the compiler emits no DWARF parameters for it.
                probe = probe with { Note = $"Go assembly function without DWARF parameters: give its signature, -p '{sym.Name}(a int64, …)'" };
            if (LocationCheck.Disagreements(elf, sym, probe, fromDwarf) is { } disagreement)
                probe = probe with { Note = probe.Note is null ? disagreement : $"{probe.Note}; {disagreement}" };
            probes.Add(probe);
        }
        if (returns) ReturnProbes.Add(probes, elf, dwarf, symbols, infos, options);
        // The plan and counter maps have CT_MAX_PROBES entries, indexed by probe id (bpf/calltape.h).
        if (probes.Count > BpfLimits.MaxProbes)
            throw new CalltapeException($"{probes.Count} probes requested ({symbols.Count} functions); the limit is {BpfLimits.MaxProbes}: narrow the -p patterns");
        // Captures name C++ and Rust functions as people write them (SQL views, replay): demangled.
        for (var i = 0; i < probes.Count; i++)
            probes[i] = probes[i] with { Function = DemangleIndex.DisplayName(probes[i].Function) };
        return (elf.Describe(), probes);
    }

    /// <summary>
    /// The function of that exact symbol name, else those whose demangled name it is (C++ and Rust: every overload or
    /// generic instance), else every function a glob matches by symbol or demangled name; none is a one-line error
    /// with suggestions.
    /// </summary>
    /// <remarks>A Go assembly function is found by its Go name too: .symtab calls it "pkg.f.abi0" (ProbePlanner.ChooseAbi).</remarks>
    private static IReadOnlyList<FunctionSymbol> Lookup(ElfImage elf, Lazy<DemangleIndex> demangled, string name, string binaryPath)
    {
        if ((elf.FindFunction(name) ?? (elf.IsGo ? elf.FindFunction(name + ".abi0") : null)) is { } exact) return [exact];
        var isGlob = FunctionGlob.IsPattern(name);
        if (!isGlob && demangled.Value.Exact(name) is { Count: > 0 } byName) return byName;
        if (isGlob)
        {
            var matched = FunctionGlob.Match(elf.Functions, name).Concat(demangled.Value.Glob(name))
                .DistinctBy(f => f.Address).OrderBy(f => f.Address).ToList();
            if (matched.Count > 0) return matched;
        }
        var key = isGlob ? name.Replace("*", "").Replace("?", "") : name;
        // Suggest names as the user can type them: demangled ones first, then plain symbols (never "_ZN...").
        var near = demangled.Value.SuggestNames(key).Concat(elf.SuggestNames(key).Where(n => !Demangler.IsMangled(n)))
            .Distinct(StringComparer.Ordinal).Take(5).ToList();
        var hint = near.Count == 0 ? "" : "; did you mean " + string.Join(", ", near) + "?";
        var what = isGlob ? $"no function matches '{name}'" : $"no function '{name}'";
        throw new CalltapeException($"{what} in {binaryPath}{hint}", ExitCodes.NotFound);
    }
}
