using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>RET finding (checked against objdump) and the exit plans of --returns: result registers, goid, uretprobes.</summary>
public class GoReturnsTests
{
    [Fact]
    public void Synthetic_FindsEveryRetAndSkipsLookalikeBytes()
    {
        // mov eax, 0xc3 (a C3 byte inside an immediate); ret; xor eax, eax; ret imm16; int3
        byte[] code = [0xb8, 0xc3, 0, 0, 0, 0xc3, 0x31, 0xc0, 0xc2, 0x08, 0x00, 0xcc];
        Assert.Equal(new[] { 5, 8 }, GoReturns.FindRetOffsets(code, 0x401000));
    }

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void RealFunctions_RetsMatchObjdump(GoToolchain go)
    {
        var path = Fixtures.BuildGo("returns", go);
        var elf = ElfImage.Open(path);
        var checkedFns = 0;
        foreach (var fn in elf.Functions.Where(f => f.Name.StartsWith("main.", StringComparison.Ordinal) || f.Name.StartsWith("strings.", StringComparison.Ordinal)))
        {
            if (fn.Size == 0) continue;
            var ours = GoReturns.FindRetOffsets(elf.ReadCode(fn.Address, (int)fn.Size), fn.Address);
            var theirs = GoPrologueTests.Objdump(path, fn.Address, fn.Address + fn.Size)
                .Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"\tret[qw]?\b"))
                .Select(l => (int)(Convert.ToUInt64(l.Split(':')[0].Trim(), 16) - fn.Address)).ToArray();
            Assert.Equal(theirs, ours);
            checkedFns++;
        }
        Assert.True(checkedFns >= 6, $"only {checkedFns} functions checked");
        var divmod = elf.FindFunction("main.divmod")!;
        Assert.True(GoReturns.FindRetOffsets(elf.ReadCode(divmod.Address, (int)divmod.Size), divmod.Address).Count >= 2, "divmod has an early return");
    }

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void GoExits_ResultsAreRegisterAssignedFromRax(GoToolchain go)
    {
        var (elf, dwarf) = Open(Fixtures.BuildGo("returns", go));
        var goid = dwarf.GoidOffset();
        Assert.NotNull(goid);
        Assert.InRange(goid!.Value, 8, 1024);

        var divmod = Exits(elf, dwarf, "main.divmod", goid);
        Assert.All(divmod, x => Assert.Equal(ProbeKind.Exit, x.Kind));
        Assert.All(divmod, x => Assert.Equal(0, x.EntryProbe));
        Assert.All(divmod, x => Assert.False(x.Uretprobe));
        var d = divmod[0];
        Assert.Equal(new[] { "q", "ok" }, d.Params.Select(p => p.Name));
        Assert.Equal([Source.Of(Reg.Rax)], d.Params[0].Pieces);
        Assert.Equal([Source.Of(Reg.Rbx)], d.Params[1].Pieces);
        Assert.Contains(Reg.R14, d.Plan.Registers);
        Assert.Contains(Reg.Rsp, d.Plan.Registers);
        Assert.Equal(new DerefSpec(Source.Of(Reg.R14), Source.None, 8, false, goid.Value), d.Plan.Derefs[d.GoidDeref]);
        // Every RET of the function is its own probe at its own offset, with the same plan.
        Assert.Equal(divmod.Count, divmod.Select(x => x.ProbeOffset).Distinct().Count());
        Assert.All(divmod, x => Assert.Equal(elf.FileOffsetOf(x.Address + x.ProbeOffset), x.FileOffset));

        // Unnamed results are ~r0 in DWARF and r0 here; a string result is (RAX, RBX) with its bytes dereferenced.
        var greet = Exits(elf, dwarf, "main.greet", goid)[0];
        Assert.Equal("r0", greet.Params[0].Name);
        Assert.Equal([Source.Of(Reg.Rax), Source.Of(Reg.Rbx)], greet.Params[0].Pieces);
        Assert.Equal(new DerefSpec(Source.Of(Reg.Rax), Source.Of(Reg.Rbx), 256), greet.Plan.Derefs[greet.Params[0].Deref]);

        // Nine results fill RAX..R11; the tenth is on the stack just above the return address at the RET.
        var many = Exits(elf, dwarf, "main.many", goid)[0];
        Assert.Equal([Source.Of(Reg.R11)], many.Params[8].Pieces);
        Assert.Equal([Source.StackAt(8)], many.Params[9].Pieces);
        Assert.Equal(16, many.Plan.StackLen);

        // The entry keeps R14 (the g pointer) to pair by goroutine.
        var fn = elf.FindFunction("main.add")!;
        var entry = ProbePlanner.WithGoroutine(ProbePlanner.Plan(0, 0, elf, fn, dwarf.FindFunction(fn.Name, fn.Address), new PlanOptions()));
        Assert.Equal(new[] { Reg.Rax, Reg.Rbx, Reg.R14 }, entry.Plan.Registers);
    }

    [Theory]
    [InlineData("-g -O0")]
    [InlineData("-g -O2")]
    public void SysVExit_IsOneUretprobeOnRax(string flags)
    {
        var (elf, dwarf) = Open(SymbolFixtures.BuildC("creturns", flags));
        var exits = Exits(elf, dwarf, "add3", null);
        var x = Assert.Single(exits);
        Assert.True(x.Uretprobe);
        Assert.Equal(0UL, x.ProbeOffset);
        Assert.Equal(-1, x.GoidDeref);
        var r0 = Assert.Single(x.Params);
        Assert.Equal("r0", r0.Name);
        Assert.Equal(TypeKind.Int, r0.Type.Kind);
        Assert.Equal([Source.Of(Reg.Rax)], r0.Pieces);
        Assert.Equal(new[] { Reg.Rax }, x.Plan.Registers);
    }

    [Fact]
    public void ResultNames() =>
        Assert.Equal(new[] { "r0", "r1", "q", "r3" },
            new[] { "~r0", "~r1", "q", "" }.Select((n, i) => ProbePlanner.ResultName(n, i)));

    private static (ElfImage, DwarfReader) Open(string path)
    {
        var elf = ElfImage.Open(path);
        return (elf, DwarfReader.Load(elf)!);
    }

    private static IReadOnlyList<ProbeSpec> Exits(ElfImage elf, DwarfReader dwarf, string name, int? goid)
    {
        var fn = elf.FindFunction(name)!;
        var info = dwarf.FindFunction(fn.Name, fn.Address);
        var entry = ProbePlanner.Plan(0, 0, elf, fn, info, new PlanOptions());
        var (exits, note) = ProbePlanner.PlanExits(1, entry, elf, fn, info, new PlanOptions(), goid);
        Assert.Null(note);
        return exits;
    }
}
