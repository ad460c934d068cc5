namespace Calltape.Symbols.Dwarf;

/// <summary>One inlined call (a DW_TAG_inlined_subroutine, DWARF 5 §3.3.8.2): where its body is, what it is, and where
/// it was called from in the function it was inlined into.</summary>
/// <param name="Depth">How many inlined calls enclose this one (0: inlined straight into a real function).</param>
/// <param name="StmtList">The unit's line table (DW_AT_stmt_list), which numbers <paramref name="CallFile"/>.</param>
internal sealed record InlinedCall(string? Name, int Depth, long CallFile, int CallLine, ulong StmtList);

/// <summary>Every inlined call of a binary's C, C++ or Rust code by address, read from .debug_info in one pass.</summary>
/// <remarks>
/// Each function's inlined calls nest: a call inlined into an inlined body covers a subset of its parent's ranges. A
/// lookup finds the function (DW_TAG_subprogram range) holding the PC and returns the calls covering it, outermost
/// first, which is the chain addr2line -i prints innermost first.
/// </remarks>
internal sealed class InlineTable
{
    private const int MaxOriginHops = 8;

    private readonly ulong[] _starts;
    private readonly (ulong High, List<(ulong Low, ulong High, InlinedCall Call)> Calls)[] _functions;

    private InlineTable(List<(ulong Low, ulong High, List<(ulong, ulong, InlinedCall)> Calls)> functions)
    {
        functions.Sort((a, b) => a.Low.CompareTo(b.Low));
        _starts = functions.Select(f => f.Low).ToArray();
        _functions = functions.Select(f => (f.High, f.Calls)).ToArray();
    }

    /// <summary>Inlined calls found, over all functions.</summary>
    public int Count => _functions.Sum(f => f.Calls.Count);

    public static InlineTable Build(DieIndex index)
    {
        var functions = new List<(ulong, ulong, List<(ulong, ulong, InlinedCall)>)>();
        foreach (var unit in index.Units) ReadUnit(index, unit, functions);
        return new InlineTable(functions);
    }

    /// <summary>The inlined calls whose code holds <paramref name="pc"/>, outermost first; empty when none does.</summary>
    public List<InlinedCall> At(ulong pc)
    {
        // Function ranges do not overlap: only the last one starting at or below pc can hold it (or, for ranges that
        // start at the same address, one of those).
        var i = UpperBound(pc) - 1;
        for (var j = i; j >= 0 && _starts[j] == _starts[i]; j--)
        {
            if (pc >= _functions[j].High) continue;
            return _functions[j].Calls.Where(c => pc >= c.Low && pc < c.High).Select(c => c.Call).OrderBy(c => c.Depth).ToList();
        }
        return [];
    }

    /// <summary>The index of the first function starting above <paramref name="pc"/>.</summary>
    private int UpperBound(ulong pc)
    {
        int lo = 0, hi = _starts.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_starts[mid] <= pc) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static void ReadUnit(DieIndex index, DwarfUnit unit, List<(ulong, ulong, List<(ulong, ulong, InlinedCall)>)> functions)
    {
        var root = unit.ReadDie(unit.FirstDie);
        if (root.IsNull || !root.HasChildren) return;
        var stmtList = root.TryGet(DwAt.StmtList, out var sl) ? sl.Value : ulong.MaxValue;
        var rnglistsBase = root.TryGet(DwAt.RnglistsBase, out var rb) ? rb.Value : 0;
        // A walk of the whole tree: inlined calls sit in functions, lexical blocks and other inlined calls.
        var offset = root.Next;
        var stack = new List<(ushort Tag, int Inlined)>(); // open DIEs with children, and the inline depth inside each
        List<(ulong, ulong, InlinedCall)>? current = null;  // the calls of the function being walked
        var functionDepth = -1;
        while (offset < unit.End)
        {
            var die = unit.ReadDie(offset);
            offset = die.Next;
            if (die.IsNull)
            {
                if (stack.Count == 0) break;
                stack.RemoveAt(stack.Count - 1);
                if (stack.Count <= functionDepth) { current = null; functionDepth = -1; }
                continue;
            }
            var inlined = stack.Count > 0 ? stack[^1].Inlined : 0;
            if (die.Tag == DwTag.Subprogram && current is null)
            {
                var ranges = RangeReader.Of(die, rnglistsBase);
                if (ranges.Count > 0 && die.HasChildren)
                {
                    current = [];
                    functionDepth = stack.Count;
                    foreach (var (lo, hi) in ranges) functions.Add((lo, hi, current));
                }
            }
            else if (die.Tag == DwTag.InlinedSubroutine && current is not null)
            {
                var call = new InlinedCall(NameOf(index, die), inlined, die.Constant(DwAt.CallFile) ?? -1,
                    (int)(die.Constant(DwAt.CallLine) ?? 0), stmtList);
                foreach (var (lo, hi) in RangeReader.Of(die, rnglistsBase)) current.Add((lo, hi, call));
                inlined++;
            }
            if (die.HasChildren) stack.Add((die.Tag, inlined));
        }
    }

    /// <summary>The inlined function's name: its abstract origin's linkage name (mangled, as .symtab names functions) or
    /// name, following DW_AT_abstract_origin and DW_AT_specification.</summary>
    private static string? NameOf(DieIndex index, Die die)
    {
        var cur = die;
        for (var hops = 0; hops < MaxOriginHops; hops++)
        {
            if ((cur.String(DwAt.LinkageName) ?? cur.String(DwAt.MipsLinkageName)) is { } linkage) return linkage;
            if (hops > 0 && cur.String(DwAt.Name) is { } name) return name;
            if ((cur.Reference(DwAt.AbstractOrigin) ?? cur.Reference(DwAt.Specification)) is not { } next || index.DieAt(next) is not { } d)
                return hops > 0 ? null : cur.String(DwAt.Name);
            cur = d;
        }
        return null;
    }
}
