using System.Text.RegularExpressions;
using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

public class ProbePlannerTests
{
    private static readonly TypeDesc Int64 = new("int64", TypeKind.Int, 8);
    private static readonly TypeDesc GoString = new("string", TypeKind.String, 16);

    private static (ElfImage Elf, DwarfReader Dwarf) Open(string path) => (ElfImage.Open(path), DwarfReader.Load(ElfImage.Open(path))!);

    private static ProbeSpec PlanFor(string path, string function, PlanOptions? options = null)
    {
        var (elf, dwarf) = Open(path);
        var fn = elf.FindFunction(function)!;
        return ProbePlanner.Plan(7, 0, elf, fn, dwarf.FindFunction(fn.Name, fn.Address), options ?? new PlanOptions());
    }

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void Record_IdRaxNameRbxRcxOkRdi(GoToolchain go)
    {
        var path = Fixtures.BuildGo("args", go);
        var elf = ElfImage.Open(path);
        var fn = elf.FindFunction("main.record")!;
        var probe = PlanFor(path, "main.record", new PlanOptions(100));

        Assert.Equal(AbiKind.GoRegs, probe.Abi);
        Assert.Equal((7, "main.record", fn.Address), (probe.Id, probe.Function, probe.Address));
        var expectedOffset = GoPrologue.FindProbePoint(elf.ReadCode(fn.Address, 64), fn.Address).Offset;
        Assert.Equal((ulong)expectedOffset, probe.ProbeOffset);
        Assert.Equal(SymbolFixtures.ReadelfFileOffset(path, fn.Address + probe.ProbeOffset), probe.FileOffset);

        Assert.Equal(["id", "name", "ok"], probe.Params.Select(p => p.Name)); // the result is not an argument
        Assert.Equal([Source.Of(Reg.Rax)], probe.Params[0].Pieces);
        Assert.Equal([Source.Of(Reg.Rbx), Source.Of(Reg.Rcx)], probe.Params[1].Pieces);
        Assert.Equal(0, probe.Params[1].Deref);
        Assert.Equal([Source.Of(Reg.Rdi)], probe.Params[2].Pieces);
        Assert.All(probe.Params, p => Assert.Null(p.NotCaptured));
        Assert.Equal([new DerefSpec(Source.Of(Reg.Rbx), Source.Of(Reg.Rcx), 100)], probe.Plan.Derefs);
        Assert.Equal([Reg.Rax, Reg.Rbx, Reg.Rcx, Reg.Rdi], probe.Plan.Registers);
        Assert.Equal(0, probe.Plan.StackLen);
        Assert.Null(probe.Note);
    }

    [Theory]
    [InlineData(GoToolchain.Go119, "")]
    [InlineData(GoToolchain.Go126, "")]
    [InlineData(GoToolchain.Go126, "\"-gcflags=all=-N -l\"")]
    public void Many_TenthArgAndStringGoToTheStack(GoToolchain go, string flags)
    {
        var probe = PlanFor(Fixtures.BuildGo("abimix", go, flags), "main.many");
        Assert.Equal(Abis.GoIntArgs.Select(Source.Of), probe.Params.Take(9).Select(p => p.Pieces.Single()));
        Assert.Equal([Source.StackAt(8)], probe.Params[9].Pieces);              // j: first stack slot
        Assert.Equal([Source.StackAt(16), Source.StackAt(24)], probe.Params[10].Pieces); // s: after it
        Assert.Equal([new DerefSpec(Source.StackAt(16), Source.StackAt(24), 256)], probe.Plan.Derefs);
        Assert.Equal(32, probe.Plan.StackLen);
        Assert.Equal(Abis.GoIntArgs.Order(), probe.Plan.Registers);
    }

    [Fact]
    public void Mixed_StackOffsetsMatchDwarfLocations()
    {
        // With -N -l Go describes stack-assigned parameters as DW_OP_fbreg(n) over DW_OP_call_frame_cfa, i.e. entry SP + 8 + n:
        // exactly the ABI's stack offsets, so readelf is an independent oracle for the assignment.
        var path = Fixtures.BuildGo("abimix", GoToolchain.Go126, "\"-gcflags=all=-N -l\"");
        var probe = PlanFor(path, "main.mixed");
        var args = probe.Params.Select(x => x.Name).ToHashSet();
        var fbreg = FrameOffsets(path, "main.mixed").Where(kv => args.Contains(kv.Key)).ToDictionary();
        Assert.Equal(new Dictionary<string, int> { ["arr"] = 0, ["ptr"] = 8, ["id"] = 16, ["ch"] = 24, ["fn"] = 32 }, fbreg);

        var p = probe.Params.ToDictionary(x => x.Name);
        foreach (var name in new[] { "ptr", "id", "ch", "fn" })
            Assert.Equal([Source.StackAt(8 + fbreg[name])], p[name].Pieces);
        // Arrays longer than 1 are stack-assigned: read from the window as memory.
        Assert.Equal(new ValueSpec(Source.StackAt(8)), p["arr"].Value);
        Assert.Equal("float register", p["f"].NotCaptured);
        // A struct is split field by field (abi-internal.md), not by eightbytes.
        Assert.Equal([Source.Of(Reg.Rax), Source.Of(Reg.Rbx)], p["p"].Value!.Parts.Select(x => x.At));
        Assert.Equal([Source.Of(Reg.Rcx), Source.Of(Reg.Rdi), Source.Of(Reg.Rsi)], p["xs"].Value!.Parts.Select(x => x.At));
        Assert.Equal([Source.Of(Reg.R8), Source.Of(Reg.R9)], p["err"].Value!.Parts.Select(x => x.At));
        Assert.Equal(Source.Of(Reg.R11), p["one"].Value!.Parts.Single().At);
        Assert.Equal(["float register", "float register"], p["c"].Value!.Parts.Select(x => x.NotCaptured)); // in X1, X2: later ints still fit
        Assert.Equal([Source.Of(Reg.R10)], p["m"].Pieces);
        // The slice's elements are one dereference: pointer RCX, length RDI counted in 8-byte elements.
        var xs = probe.Plan.Derefs[p["xs"].Value!.Deref];
        Assert.Equal((Source.Of(Reg.Rcx), Source.Of(Reg.Rdi), 8), (xs.Ptr, xs.Len, xs.Scale));
        // *Point on the stack is followed: 16 bytes from the pointer read at its stack slot.
        var ptr = probe.Plan.Derefs[p["ptr"].Value!.Deref];
        Assert.Equal((Source.StackAt(8 + fbreg["ptr"]), 16), (ptr.Ptr, ptr.MaxLen));
        Assert.Equal(Abis.GoIntArgs.Order(), probe.Plan.Registers);
        Assert.Equal(48, probe.Plan.StackLen);
        Assert.NotNull(probe.Note);
    }

    [Fact]
    public void Strs_FiveStringsFitTheDerefBudget()
    {
        var probe = PlanFor(Fixtures.BuildGo("abimix", GoToolchain.Go126), "main.strs");
        Assert.Equal(5, probe.Plan.Derefs.Count);
        Assert.Equal([0, 1, 2, 3, 4], probe.Params.Take(5).Select(p => p.Deref));
        Assert.All(probe.Params, p => Assert.Null(p.NotCaptured));
    }

    [Fact]
    public void Method_ReceiverFirst_NoArgs_Empty()
    {
        var path = Fixtures.BuildGo("abimix", GoToolchain.Go119);
        var move = PlanFor(path, "main.(*Point).Move");
        Assert.Equal([[Source.Of(Reg.Rax)], [Source.Of(Reg.Rbx)], [Source.Of(Reg.Rcx), Source.Of(Reg.Rdi)]], move.Params.Select(p => p.Pieces.ToArray()));
        var none = PlanFor(path, "main.noargs");
        Assert.Empty(none.Params);
        Assert.Empty(none.Plan.Registers);
        Assert.Equal(0, none.Plan.StackLen);
    }

    [Fact]
    public void Synthetic_ManyArgs_RegistersThenStackWithinWindow()
    {
        var path = Fixtures.BuildGo("args", GoToolchain.Go126);
        var elf = ElfImage.Open(path);
        var fn = elf.FindFunction("main.record")!;
        // 8 ints, a string that no longer fits (one register left), a bool that still gets R11, then 30 more ints.
        var ps = Enumerable.Range(0, 8).Select(i => new ParamInfo($"i{i}", Int64, false))
            .Append(new ParamInfo("s", GoString, false))
            .Append(new ParamInfo("b", new TypeDesc("bool", TypeKind.Bool, 1), false))
            .Concat(Enumerable.Range(0, 30).Select(i => new ParamInfo($"k{i}", Int64, false)))
            .Append(new ParamInfo("~r0", Int64, true)).ToArray();
        var info = new FunctionInfo("main.record", fn.Address, ps) { Producer = "Go cmd/compile go1.26.0; regabi" };
        var probe = ProbePlanner.Plan(1, 0, elf, fn, info, new PlanOptions());

        var p = probe.Params.ToDictionary(x => x.Name);
        Assert.Equal([Source.StackAt(8), Source.StackAt(16)], p["s"].Pieces);
        Assert.Equal([Source.Of(Reg.R11)], p["b"].Pieces); // later parameters may still get registers
        Assert.Equal([Source.StackAt(24)], p["k0"].Pieces);
        Assert.Equal([Source.StackAt(24 + 8 * 28)], p["k28"].Pieces); // 248 + 8 = 256: the last slot that fits
        Assert.Equal("beyond the 256-byte stack window", p["k29"].NotCaptured);
        Assert.Equal(256, probe.Plan.StackLen);
        Assert.DoesNotContain(probe.Params, x => x.Name == "~r0");
    }

    [Fact]
    public void GoWithoutDwarf_IsRaw()
    {
        var path = Fixtures.BuildGo("args", GoToolchain.Go126, "-ldflags=-w");
        var elf = ElfImage.Open(path);
        Assert.Null(DwarfReader.Load(elf));
        var fn = elf.FindFunction("main.record")!;
        var probe = ProbePlanner.Plan(0, 0, elf, fn, null, new PlanOptions());
        Assert.Equal(AbiKind.Raw, probe.Abi);
        Assert.Equal("no debug info: raw registers", probe.Note);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => $"arg{i}"), probe.Params.Select(p => p.Name));
        Assert.Equal(Abis.GoIntArgs.Order(), probe.Plan.Registers);
        Assert.Equal(Abis.GoIntArgs.Select(Source.Of), probe.Params.Select(p => p.Pieces.Single()));
        Assert.Equal((ulong)GoPrologue.FindProbePoint(elf.ReadCode(fn.Address, 64), fn.Address).Offset, probe.ProbeOffset);
    }

    [Fact]
    public void C_SysV_WithAndWithoutDwarf()
    {
        var path = SymbolFixtures.BuildC("cargs", "-g -O1");
        var (elf, dwarf) = Open(path);
        var record = elf.FindFunction("record")!;
        var probe = ProbePlanner.Plan(0, 0, elf, record, dwarf.FindFunction("record", record.Address), new PlanOptions());
        Assert.Equal(AbiKind.SysV, probe.Abi);
        Assert.Equal(0UL, probe.ProbeOffset);
        Assert.Equal(SymbolFixtures.ReadelfFileOffset(path, record.Address), probe.FileOffset);
        Assert.Equal([[Source.Of(Reg.Rdi)], [Source.Of(Reg.Rsi)], [Source.Of(Reg.Rdx)]], probe.Params.Select(p => p.Pieces.ToArray()));
        Assert.Equal([Reg.Rdx, Reg.Rsi, Reg.Rdi], probe.Plan.Registers); // ascending by register number

        var scale = elf.FindFunction("scale")!;
        var sp = ProbePlanner.Plan(1, 0, elf, scale, dwarf.FindFunction("scale", scale.Address), new PlanOptions());
        Assert.Equal([Source.Of(Reg.Rdi)], sp.Params[0].Pieces);
        Assert.Equal("float register", sp.Params[1].NotCaptured);
        Assert.Equal([Source.Of(Reg.Rsi)], sp.Params[2].Pieces); // the double took XMM0, not an integer register

        var raw = ProbePlanner.Plan(2, 0, elf, record, null, new PlanOptions());
        Assert.Equal(AbiKind.Raw, raw.Abi);
        Assert.Equal(Abis.SysVIntArgs.Order(), raw.Plan.Registers);
        Assert.Equal(6, raw.Params.Count);
    }

    /// <summary>Parameter name → n for parameters whose DW_AT_location is DW_OP_fbreg(n) (or DW_OP_call_frame_cfa, n = 0).</summary>
    private static Dictionary<string, int> FrameOffsets(string path, string function)
    {
        var dump = SymbolFixtures.Readelf($"--debug-dump=info {path}");
        var start = dump.IndexOf($"DW_AT_name        : {function}\n", StringComparison.Ordinal);
        var body = dump[start..];
        body = body[..body.IndexOf("DW_TAG_subprogram", StringComparison.Ordinal)];
        var result = new Dictionary<string, int>();
        string? current = null;
        foreach (var line in body.Split('\n').Skip(1))
        {
            if (line.Contains("DW_AT_name")) current = line.Split(':').Last().Trim();
            if (!line.Contains("DW_AT_location") || current is null) continue;
            var m = Regex.Match(line, @"DW_OP_fbreg: (-?\d+)\)");
            if (m.Success) result[current] = int.Parse(m.Groups[1].Value);
            else if (line.EndsWith("(DW_OP_call_frame_cfa)")) result[current] = 0;
        }
        return result;
    }
}
