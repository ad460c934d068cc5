using System.Globalization;
using System.Text.RegularExpressions;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>Parameter locations (DW_AT_location, .debug_loc, .debug_loclists, DW_OP_piece) against readelf's dumps.</summary>
public partial class LocationListTests
{
    [Theory]
    [InlineData("-O2 -g", new[] { "record", "scale", "main" })]      // DWARF 5 .debug_loclists with base_address + offset_pair
    [InlineData("-O2 -gdwarf-4", new[] { "record", "scale", "main" })] // DWARF 4 .debug_loc
    [InlineData("-O2 -g -gvariable-location-views=incompat5", new[] { "record", "scale", "main" })] // DW_LLE_GNU_view_pair inline
    public void Gcc_LocationListsMatchReadelf(string flags, string[] functions, string compiler = "gcc")
    {
        var path = SymbolFixtures.BuildC("cargs", flags, compiler);
        var lists = ReadelfLists(path);
        var info = SymbolFixtures.Readelf($"--debug-dump=info {path}");
        var elf = ElfImage.Open(path);
        var dwarf = DwarfReader.Load(elf)!;
        var compared = 0;
        foreach (var name in functions)
        {
            var fn = dwarf.FindFunction(name, elf.FindFunction(name)!.Address)!;
            foreach (var p in fn.Params.Where(p => !p.IsReturn))
            {
                var offset = LocationOffset(info, name, p.Name);
                Assert.NotNull(p.Location);
                if (offset is null) continue; // an exprloc; covered by the -O0 test
                Assert.Equal(lists[offset.Value], Render(p.Location!, 0));
                compared++;
            }
        }
        Assert.True(compared >= 3, $"only {compared} location lists compared");
    }

    [Fact]
    public void Gcc_O0_FrameBaseExpressionsMatchReadelf()
    {
        var path = SymbolFixtures.BuildC("cargs", "-O0 -g");
        var info = SymbolFixtures.Readelf($"--debug-dump=info {path}");
        var elf = ElfImage.Open(path);
        var fn = DwarfReader.Load(elf)!.FindFunction("record", elf.FindFunction("record")!.Address)!;
        foreach (var p in fn.Params.Where(p => !p.IsReturn))
        {
            // "DW_AT_location    : 2 byte block: 91 68 	(DW_OP_fbreg: -24)"
            var section = ParamSection(info, "record", p.Name);
            var m = BlockRegex().Match(section);
            Assert.True(m.Success, section);
            var want = FromReadelfExpression(m.Groups[1].Value);
            Assert.Equal([$"[0x0, 0xffffffffffffffff) {want}"], Render(p.Location!, 0));
            Assert.StartsWith("fbreg-", want);
            Assert.Equal(want, string.Join(" ", p.EntryLocation!));
        }
    }

    [Theory]
    [InlineData(GoToolchain.Go119, false)] // .debug_loc, absolute in readelf
    [InlineData(GoToolchain.Go126, true)]  // .debug_loclists base_addressx + offset_pair, relative in readelf
    public void Go_LocationListsMatchReadelf_StringsArePieces(GoToolchain go, bool relative)
    {
        var path = Fixtures.BuildGo("args", go);
        var lists = ReadelfLists(path);
        var info = SymbolFixtures.Readelf($"--debug-dump=info {path}");
        var elf = ElfImage.Open(path);
        var sym = elf.FindFunction("main.record")!;
        var fn = DwarfReader.Load(elf)!.FindFunction(sym.Name, sym.Address)!;
        foreach (var p in fn.Params.Where(p => !p.IsReturn))
        {
            var offset = LocationOffset(info, "main.record", p.Name)!.Value;
            Assert.Equal(lists[offset], Render(p.Location!, relative ? sym.Address : 0));
        }
        // At entry the register ABI's assignment: id in RAX, name in RBX (ptr) and RCX (len), ok in RDI.
        Assert.Equal(["rax", "rbx:8 rcx:8", "rdi"], fn.Params.Where(p => !p.IsReturn).Select(p => string.Join(" ", p.EntryLocation!)));
    }

    [Fact]
    public void Clang_LoclistxMatchReadelf()
    {
        // clang-14 -O2 -g: DW_FORM_loclistx through DW_AT_loclists_base; readelf prints each list under
        // "Offset Entry N" with begin and end relative to the function's base address.
        var path = SymbolFixtures.BuildC("cargs", "-O2 -g", "clang-14");
        var dump = SymbolFixtures.Readelf($"--debug-dump=loc {path}");
        var lists = new Dictionary<int, List<string>>();
        List<string>? open = null;
        foreach (var line in dump.Split('\n'))
        {
            var entry = Regex.Match(line, @"^\s+Offset Entry (\d+)$");
            if (entry.Success) { lists[int.Parse(entry.Groups[1].Value)] = open = []; continue; }
            var range = Regex.Match(line, @"^\s+[0-9a-f]{8} ([0-9a-f]{16}) ([0-9a-f]{16}) (.*)$");
            if (range.Success && open is not null)
                open.Add($"[0x{ulong.Parse(range.Groups[1].Value, NumberStyles.HexNumber):x}, 0x{ulong.Parse(range.Groups[2].Value, NumberStyles.HexNumber):x}) "
                    + FromReadelfExpression(range.Groups[3].Value));
        }
        var info = SymbolFixtures.Readelf($"--debug-dump=info {path}");
        var indexOf = Regex.Matches(info, @"DW_AT_location\s+: \(index: (0x[0-9a-f]+|\d+)\): 0x[0-9a-f]+ \(location list\)\n\s+<[0-9a-f]+>\s+DW_AT_name\s+: \(indexed string: 0x[0-9a-f]+\): (\w+)")
            .Select(m => (Index: Convert.ToInt32(m.Groups[1].Value, m.Groups[1].Value.StartsWith("0x") ? 16 : 10), Name: m.Groups[2].Value)).ToList();
        // The lists use offset_pair from the CU's DW_AT_low_pc (the unit's first low_pc readelf prints).
        var cuBase = Convert.ToUInt64(Regex.Match(info, @"DW_AT_low_pc\s+: \(index: [0-9a-fx]+\): 0x([0-9a-f]+)").Groups[1].Value, 16);
        var elf = ElfImage.Open(path);
        var dwarf = DwarfReader.Load(elf)!;
        var compared = 0;
        foreach (var name in new[] { "record", "scale" })
        {
            var sym = elf.FindFunction(name)!;
            foreach (var p in dwarf.FindFunction(name, sym.Address)!.Params.Where(p => !p.IsReturn))
            {
                if (indexOf.FirstOrDefault(x => x.Name == p.Name) is not { Name: not null } x)
                {
                    Assert.Single(p.Location!.Ranges); // an exprloc (DW_OP_reg5 for p, DW_OP_reg4 for flag)
                    continue;
                }
                Assert.Equal(lists[x.Index], Render(p.Location!, cuBase));
                compared++;
            }
        }
        Assert.Equal(4, compared);
        var scale = dwarf.FindFunction("scale", elf.FindFunction("scale")!.Address)!;
        Assert.Equal(["rdi", "xmm0", "rsi"], scale.Params.Where(p => !p.IsReturn).Select(p => string.Join(" ", p.EntryLocation!)));
    }

    /// <summary>Our ranges as readelf prints them: "[lo, hi) expr", lo and hi made relative to base.</summary>
    private static List<string> Render(ParamLocation l, ulong minus) =>
        l.Ranges.Select(r => r.High == ulong.MaxValue ? $"[0x{r.Low:x}, 0x{r.High:x}) {string.Join(" ", r.Pieces)}"
            : $"[0x{r.Low - minus:x}, 0x{r.High - minus:x}) {string.Join(" ", r.Pieces)}").ToList();

    /// <summary>readelf --debug-dump=loc: every list by the offset of its first entry, as "[begin, end) expr" lines.</summary>
    private static Dictionary<ulong, List<string>> ReadelfLists(string path)
    {
        var lists = new Dictionary<ulong, List<string>>();
        List<string>? open = null;
        foreach (var raw in SymbolFixtures.Readelf($"--debug-dump=loc {path}").Split('\n'))
        {
            var line = raw.TrimEnd();
            var head = OffsetRegex().Match(line);
            if (head.Success)
            {
                var rest = head.Groups[2].Value;
                if (rest.Contains("location view pair")) continue; // gcc's view pairs sit before the list, outside it
                if (open is null) lists[ulong.Parse(head.Groups[1].Value, NumberStyles.HexNumber)] = open = [];
                if (rest.StartsWith("<End of list>", StringComparison.Ordinal)) { open = null; continue; }
            }
            var range = RangeRegex().Match(line);
            if (range.Success && open is not null && !line.Contains("(base address)"))
            {
                var expr = range.Groups[3].Value;
                if (expr.EndsWith(" (start > end)", StringComparison.Ordinal)) expr = expr[..^" (start > end)".Length];
                open.Add($"[0x{ulong.Parse(range.Groups[1].Value, NumberStyles.HexNumber):x}, 0x{ulong.Parse(range.Groups[2].Value, NumberStyles.HexNumber):x}) "
                    + FromReadelfExpression(expr[1..^1]));
            }
        }
        return lists;
    }

    /// <summary>readelf's expression text ("DW_OP_reg3 (rbx); DW_OP_piece: 8; ...") in ParamLocation's rendering.</summary>
    private static string FromReadelfExpression(string text)
    {
        var ops = new List<string>();
        int depth = 0, start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ';' && depth == 0) { ops.Add(text[start..i].Trim()); start = i + 1; }
        }
        if (text.Trim().Length > 0) ops.Add(text[start..].Trim());
        var pieces = new List<string>();
        string? current = null;
        foreach (var op in ops)
        {
            var reg = Regex.Match(op, @"^DW_OP_reg\d+ \((\w+)\)$");
            var breg = Regex.Match(op, @"^DW_OP_breg\d+ \((\w+)\): (-?\d+)$");
            var fb = Regex.Match(op, @"^DW_OP_fbreg: (-?\d+)$");
            var piece = Regex.Match(op, @"^DW_OP_piece: (\d+)$");
            if (piece.Success)
            {
                pieces.Add((current ?? "optimized out") + ":" + piece.Groups[1].Value);
                current = null;
            }
            else if (current is null && reg.Success) current = reg.Groups[1].Value;
            else if (current is null && breg.Success) current = $"[{breg.Groups[1].Value}{long.Parse(breg.Groups[2].Value):+0;-0}]";
            else if (current is null && fb.Success) current = $"fbreg{long.Parse(fb.Groups[1].Value):+0;-0}";
            else current = "computed";
        }
        if (current is not null) pieces.Add(current);
        return string.Join(" ", pieces);
    }

    private static string ParamSection(string info, string function, string param)
    {
        var at = info.IndexOf($": {function}\n", StringComparison.Ordinal);
        Assert.True(at >= 0, $"{function} not in readelf output");
        var section = info[at..];
        var p = Regex.Match(section, $@"DW_AT_name\s+: (\(indirect string, offset: 0x[0-9a-f]+\): )?{Regex.Escape(param)}\n");
        Assert.True(p.Success, $"{function}.{param} not in readelf output");
        section = section[p.Index..];
        return section[..section.IndexOf("Abbrev Number", StringComparison.Ordinal)];
    }

    /// <summary>The .debug_loc(lists) offset readelf shows for a parameter's DW_AT_location, or null for an exprloc.</summary>
    private static ulong? LocationOffset(string info, string function, string param)
    {
        var m = Regex.Match(ParamSection(info, function, param), @"DW_AT_location\s+: 0x([0-9a-f]+) \(location list\)");
        return m.Success ? ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber) : null;
    }

    [GeneratedRegex(@"^    ([0-9a-f]{8}) (.*)$")]
    private static partial Regex OffsetRegex();

    [GeneratedRegex(@"([0-9a-f]{16}) ([0-9a-f]{16}) (\(.*\))$")]
    private static partial Regex RangeRegex();

    [GeneratedRegex(@"DW_AT_location\s+: \d+ byte block: [0-9a-f ]+\t\((.*)\)")]
    private static partial Regex BlockRegex();
}
