using Calltape.Capture;
using Calltape.Capture.Model;
using Calltape.Symbols;

namespace Calltape.Recorder.Planning;

/// <summary>Turns -p names into probe specs for one binary: symbol lookup, then the capture plan. Pure: no kernel.</summary>
internal static class ProbeResolver
{
    public static (BinaryInfo Binary, IReadOnlyList<ProbeSpec> Probes) Resolve(string binaryPath, IReadOnlyList<string> functions, PlanOptions options)
    {
        if (functions.Count == 0) throw new CalltapeException("no probes: give at least one -p FUNCTION");
        var elf = ElfImage.Open(binaryPath);
        var symbols = new List<FunctionSymbol>();
        foreach (var name in functions.Distinct(StringComparer.Ordinal))
        {
            var sym = elf.FindFunction(name);
            if (sym is null)
            {
                var near = elf.SuggestNames(name);
                var hint = near.Count == 0 ? "" : "; did you mean " + string.Join(", ", near) + "?";
                throw new CalltapeException($"no function '{name}' in {binaryPath}{hint}", ExitCodes.NotFound);
            }
            symbols.Add(sym);
        }
        // DWARF is read only to plan: the names, types and locations of the probed functions' parameters.
        var dwarf = DwarfReader.Load(elf);
        var probes = new List<ProbeSpec>(symbols.Count);
        foreach (var sym in symbols)
        {
            var info = dwarf?.FindFunction(sym.Name, sym.Address);
            probes.Add(ProbePlanner.Plan(probes.Count, 0, elf, sym, info, options));
        }
        return (elf.Describe(), probes);
    }
}
