using Calltape.Capture.Model;

namespace Calltape.Symbols;

/// <summary>
/// Cross-checks a probe's plan (where the ABI says each argument is) with DWARF's location of the same parameter at the
/// probe PC. A disagreement becomes a note on the probe: neither side is trusted silently, because a wrong user
/// signature, an ABI the planner does not model or a compiler's custom convention would otherwise give wrong numbers.
/// </summary>
/// <remarks>
/// Compared: register pieces (DW_OP_regN, in DW_OP_piece order) with the plan's register sources, and frame-base
/// pieces (DW_OP_fbreg with DW_AT_frame_base = DW_OP_call_frame_cfa, as Go and gcc emit) from a location list with the
/// plan's stack sources: at the probe, CFA = SP + 8 + pushes, so stack byte k of the plan is fbreg(k − 8 − pushes).
/// A single frame-base expression for the whole function with a negative offset (gcc -O0) is a spill slot in the
/// function's own frame, valid only after the prologue, so it is not compared; one at CFA + k, k ≥ 0, is the incoming
/// argument itself and is. Values DWARF computes, or says nothing about at that PC, are not compared either.
/// </remarks>
public static class LocationCheck
{
    /// <summary>A one-line description of every disagreement, or null when DWARF agrees or cannot tell.</summary>
    /// <param name="dwarf">The DWARF description of the function (with locations), whatever the plan was made from.</param>
    public static string? Disagreements(ElfImage elf, FunctionSymbol fn, ProbeSpec probe, FunctionInfo? dwarf)
    {
        if (dwarf is null || probe.Abi == AbiKind.Raw) return null;
        var args = dwarf.Params.Where(p => !p.IsReturn).ToArray();
        if (args.Length != probe.Params.Count) return null; // a signature with another arity: nothing to pair
        var pc = fn.Address + probe.ProbeOffset;
        var pushes = elf.IsGo && probe.ProbeOffset > 0 ? GoPushes(elf, fn) : 0;
        var problems = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var spec = probe.Params[i];
            if (spec.Pieces.Count == 0 || args[i].Location is not { } location) continue;
            var range = location.Ranges.FirstOrDefault(r => r.Covers(pc));
            if (range is null || range.Pieces.Count == 0) continue;
            var wholeFunction = range.Low == 0 && range.High == ulong.MaxValue;
            var dwarfSays = Expected(range.Pieces, wholeFunction, pushes, dwarf.FrameBaseIsCfa);
            if (dwarfSays is null) continue;
            if (!spec.Pieces.SequenceEqual(dwarfSays) && !SameStackSpan(spec.Pieces, dwarfSays, range.Pieces))
                problems.Add($"{spec.Name} planned in {string.Join(" ", spec.Pieces)} but DWARF has {args[i].Name} in {string.Join(" ", range.Pieces)} at 0x{pc:x}");
        }
        return problems.Count == 0 ? null : "DWARF disagrees: " + string.Join("; ", problems);
    }

    /// <summary>The sources DWARF's pieces name, or null when they are not all comparable places.</summary>
    private static List<Source>? Expected(IReadOnlyList<LocationPiece> pieces, bool wholeFunction, int pushes, bool frameBaseIsCfa)
    {
        var result = new List<Source>();
        foreach (var p in pieces)
        {
            if (p.Kind == LocationKind.Register && p.Register is { } r) result.Add(Source.Of(r));
            else if (p.Kind == LocationKind.FrameBase && frameBaseIsCfa && (!wholeFunction || p.Offset >= 0))
                result.Add(Source.StackAt((int)(p.Offset + 8 + pushes)));
            else return null;
        }
        return result;
    }

    /// <summary>
    /// One whole-value stack location (no DW_OP_piece) names where the value starts; the plan reads an aggregate from
    /// there as consecutive eightbytes (a struct passed in memory, psABI §3.2.3), which is the same place.
    /// </summary>
    private static bool SameStackSpan(IReadOnlyList<Source> planned, List<Source> dwarfSays, IReadOnlyList<LocationPiece> pieces)
    {
        if (dwarfSays.Count != 1 || pieces.Count != 1 || pieces[0].Size != 0 || dwarfSays[0].Kind != SourceKind.Stack) return false;
        for (var i = 0; i < planned.Count; i++)
            if (planned[i] != Source.StackAt(dwarfSays[0].Index + 8 * i)) return false;
        return planned.Count > 0;
    }

    private static int GoPushes(ElfImage elf, FunctionSymbol fn)
    {
        var length = fn.Size == 0 ? 64 : (int)Math.Min(fn.Size, 64);
        return GoPrologue.FindProbePoint(elf.ReadCode(fn.Address, length), fn.Address).StackAdjust;
    }
}
