using Calltape.Capture.Model;
using Calltape.Symbols;

namespace Calltape.Recorder.Planning;

/// <summary>--returns: adds the exit probes of every entry probe, numbered after the entries. Pure: no kernel.</summary>
internal static class ReturnProbes
{
    /// <param name="probes">The entry probes, ids 0..n-1, in the order of <paramref name="symbols"/>; exits are appended.</param>
    public static void Add(List<ProbeSpec> probes, ElfImage elf, DwarfReader? dwarf, IReadOnlyList<FunctionSymbol> symbols,
        IReadOnlyList<FunctionInfo?> infos, PlanOptions options)
    {
        var goid = elf.IsGo ? dwarf?.GoidOffset() : null;
        var entries = probes.Count;
        for (var i = 0; i < entries; i++)
        {
            var entry = ProbePlanner.WithGoroutine(probes[i]);
            var (exits, note) = ProbePlanner.PlanExits(probes.Count, entry, elf, symbols[i], infos[i], options, goid);
            if (note is not null) entry = entry with { Note = entry.Note is null ? note : $"{entry.Note}; {note}" };
            probes[i] = entry;
            probes.AddRange(exits);
        }
    }
}
