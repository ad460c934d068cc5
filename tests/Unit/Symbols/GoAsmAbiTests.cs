using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>Go assembly functions (tests/fixtures/go/asmabi): found as ABI0 and planned on the stack from a signature.</summary>
public class GoAsmAbiTests
{
    private const string Signature = "(a int64, b int32, flag bool, name string) int64";

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void SymtabNamesItAbi0_DwarfHasNoParams(GoToolchain go)
    {
        var path = Fixtures.BuildGo("asmabi", go);
        var elf = ElfImage.Open(path);
        Assert.Null(elf.FindFunction("main.addAsm"));
        var fn = elf.FindFunction("main.addAsm.abi0")!;
        Assert.Equal(SymbolFixtures.ReadelfSymbol(path, "main.addAsm.abi0"), fn.Address);
        var info = DwarfReader.Load(elf)!.FindFunction(fn.Name, fn.Address)!;
        Assert.Equal("main.addAsm", info.Name);
        Assert.Empty(info.Params);
        Assert.Contains("regabi", info.Producer); // the package's compile unit: the producer cannot tell ABI0
    }

    [Theory]
    [InlineData(GoToolchain.Go119, "")]
    [InlineData(GoToolchain.Go126, "")]
    [InlineData(GoToolchain.Go119, "\"-ldflags=-s -w\"")]
    [InlineData(GoToolchain.Go126, "\"-ldflags=-s -w\"")]
    public void PlannedOnTheStack(GoToolchain go, string flags)
    {
        var elf = ElfImage.Open(Fixtures.BuildGo("asmabi", go, flags));
        var stripped = flags.Length > 0;
        // A stripped binary has only .gopclntab, which names the function without the suffix and flags it ASM.
        var fn = stripped ? elf.FindFunction("main.addAsm")! : elf.FindFunction("main.addAsm.abi0")!;
        Assert.Equal(stripped, fn.GoAssembly);
        Assert.False(elf.FindFunction("main.main")!.GoAssembly);
        var info = SignatureParser.Parse(fn.Name, Signature, go: true, fn.Address);
        var probe = ProbePlanner.Plan(0, 0, elf, fn, info, new PlanOptions(32));

        Assert.Equal(AbiKind.GoStack, probe.Abi);
        Assert.Equal(0UL, probe.ProbeOffset); // NOSPLIT with no frame: no stack check to skip
        // ABI0: a at 0(FP), b at 8, flag at 12, name at 16 (ptr) and 24 (len); FP = entry SP + 8 (the return address).
        Assert.Equal(["a", "b", "flag", "name"], probe.Params.Select(p => p.Name));
        Assert.Equal([[8], [16], [20], [24, 32]], probe.Params.Select(p => p.Pieces.Select(s => s.Index).ToArray()));
        Assert.All(probe.Params.SelectMany(p => p.Pieces), s => Assert.Equal(SourceKind.Stack, s.Kind));
        Assert.Equal(40, probe.Plan.StackLen);
        Assert.Empty(probe.Plan.Registers);
        Assert.Equal(0, probe.Params[3].Deref);
    }
}
