using Calltape.Capture.Model;
using Calltape.Recorder.Planning;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>The ABI plan against DWARF's locations at the probe PC: agreement is silent, disagreement is a note.</summary>
public class LocationCheckTests
{
    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void Go_RegisterAbiAgreesWithDwarf(GoToolchain go)
    {
        var bin = Fixtures.BuildGo("args", go);
        var (_, probes) = ProbeResolver.Resolve(bin, ["main.record"], new PlanOptions());
        Assert.Null(probes[0].Note);
        var elf = ElfImage.Open(bin);
        var fn = elf.FindFunction("main.record")!;
        var info = DwarfReader.Load(elf)!.FindFunction(fn.Name, fn.Address)!;
        // The check did compare: DWARF covers the probe PC with the registers the plan uses.
        Assert.All(info.Params.Where(p => !p.IsReturn), p => Assert.NotNull(p.Location!.At(fn.Address + probes[0].ProbeOffset)));
    }

    [Theory]
    [InlineData("gcc", "-O2 -g")]
    [InlineData("gcc", "-O0 -g")]
    [InlineData("clang-14", "-O2 -g")]
    public void SysV_EveryAbiFixtureFunctionAgreesWithDwarf(string compiler, string flags)
    {
        var bin = CFixtures.Build("abi", flags, compiler);
        var (_, probes) = ProbeResolver.Resolve(bin, ["abi_*"], new PlanOptions());
        Assert.True(probes.Count >= 10);
        Assert.All(probes, p => Assert.DoesNotContain("DWARF disagrees", p.Note ?? ""));
    }

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void WrongSignature_IsNoted(GoToolchain go)
    {
        // The parameters in the wrong order: the ABI puts name in RAX and RBX, DWARF has it in RBX and RCX.
        var bin = Fixtures.BuildGo("args", go);
        var (_, probes) = ProbeResolver.Resolve(bin, ["main.record(name string, id int64, ok bool)"], new PlanOptions());
        var note = probes[0].Note ?? "";
        Assert.StartsWith("DWARF disagrees: name planned in rax rbx but DWARF has id in rax at 0x", note);
        Assert.Contains("; id planned in rcx but DWARF has name in rbx:8 rcx:8 at 0x", note);
        Assert.DoesNotContain("ok planned", note);
    }

    [Fact]
    public void StackArgumentsAgreeThroughTheFrameBase()
    {
        // abi_many's 7th and later arguments are on the stack: DWARF's fbreg offsets (from the CFA) must match.
        var bin = CFixtures.Build("abi", "-O2 -g");
        var elf = ElfImage.Open(bin);
        var fn = elf.FindFunction("abi_many")!;
        var info = DwarfReader.Load(elf)!.FindFunction(fn.Name, fn.Address)!;
        var g = info.Params.Single(p => p.Name == "g");
        Assert.Equal("fbreg+0", string.Join(" ", g.EntryLocation!));
        var (_, probes) = ProbeResolver.Resolve(bin, ["abi_many"], new PlanOptions());
        Assert.Equal([Source.StackAt(8)], probes[0].Params.Single(p => p.Name == "g").Pieces);
        Assert.Null(LocationCheck.Disagreements(elf, fn, probes[0], info));
        // Shift the plan by one slot: now it disagrees.
        var shifted = probes[0] with { Params = probes[0].Params.Select(p => p.Name == "g" ? p with { Pieces = [Source.StackAt(16)] } : p).ToArray() };
        Assert.Equal($"DWARF disagrees: g planned in sp+16 but DWARF has g in fbreg+0 at 0x{fn.Address:x}", LocationCheck.Disagreements(elf, fn, shifted, info));
    }
}
