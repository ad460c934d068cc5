using Calltape.Capture;
using Calltape.Capture.Model;
using Calltape.Recorder.Bpf;
using Calltape.Symbols;

namespace Calltape.Recorder.Planning;

/// <summary>Turns -p names and globs into probe specs for one binary: symbol lookup, then the capture plan. Pure: no kernel.</summary>
internal static class ProbeResolver
{
    public static (BinaryInfo Binary, IReadOnlyList<ProbeSpec> Probes) Resolve(string binaryPath, IReadOnlyList<string> functions, PlanOptions options,
        bool returns = false)
    {
        if (functions.Count == 0) throw new CalltapeException("no probes: give at least one -p FUNCTION");
        var elf = ElfImage.Open(binaryPath);
        var symbols = new List<FunctionSymbol>();
        var addresses = new HashSet<ulong>(); // a function named twice (or by a name and a glob) is probed once
        foreach (var name in functions.Distinct(StringComparer.Ordinal))
            foreach (var sym in Lookup(elf, name, binaryPath))
                if (addresses.Add(sym.Address)) symbols.Add(sym);
        // DWARF is read only to plan: the names, types and locations of the probed functions' parameters.
        var dwarf = DwarfReader.Load(elf);
        var probes = new List<ProbeSpec>(symbols.Count);
        var infos = new List<FunctionInfo?>(symbols.Count);
        foreach (var sym in symbols)
        {
            var info = dwarf?.FindFunction(sym.Name, sym.Address);
            infos.Add(info);
            probes.Add(ProbePlanner.Plan(probes.Count, 0, elf, sym, info, options));
        }
        if (returns) ReturnProbes.Add(probes, elf, dwarf, symbols, infos, options);
        // The plan and counter maps have CT_MAX_PROBES entries, indexed by probe id (bpf/calltape.h).
        if (probes.Count > BpfLimits.MaxProbes)
            throw new CalltapeException($"{probes.Count} probes requested ({symbols.Count} functions); the limit is {BpfLimits.MaxProbes}: narrow the -p patterns");
        return (elf.Describe(), probes);
    }

    /// <summary>The function of that exact name, else every function a glob matches; none is a one-line error with suggestions.</summary>
    private static IReadOnlyList<FunctionSymbol> Lookup(ElfImage elf, string name, string binaryPath)
    {
        if (elf.FindFunction(name) is { } exact) return [exact];
        var isGlob = FunctionGlob.IsPattern(name);
        if (isGlob && FunctionGlob.Match(elf.Functions, name) is { Count: > 0 } matched) return matched;
        var near = elf.SuggestNames(isGlob ? name.Replace("*", "").Replace("?", "") : name);
        var hint = near.Count == 0 ? "" : "; did you mean " + string.Join(", ", near) + "?";
        var what = isGlob ? $"no function matches '{name}'" : $"no function '{name}'";
        throw new CalltapeException($"{what} in {binaryPath}{hint}", ExitCodes.NotFound);
    }
}
