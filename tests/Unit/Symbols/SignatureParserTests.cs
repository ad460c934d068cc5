using Calltape.Capture;
using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>-p signatures: the FunctionInfo they give equals what DWARF says about the same declaration.</summary>
public class SignatureParserTests
{
    private const string StripFlags = "\"-ldflags=-s -w\"";

    [Theory]
    [InlineData("main.handle(id int64)", "main.handle", "(id int64)")]
    [InlineData("main.(*Server).Handle(x int)", "main.(*Server).Handle", "(x int)")]
    [InlineData("main.(*Server).Handle", "main.(*Server).Handle", null)]
    [InlineData("parse (const char *s)", "parse", "(const char *s)")]
    [InlineData("abi_*", "abi_*", null)]
    public void Split_NameAndSignature(string text, string name, string? signature) =>
        Assert.Equal((name, signature), SignatureParser.Split(text));

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void Go_SameParamsAsDwarf(GoToolchain go)
    {
        var elf = ElfImage.Open(Fixtures.BuildGo("args", go));
        var fn = elf.FindFunction("main.record")!;
        var dwarf = DwarfReader.Load(elf)!.FindFunction(fn.Name, fn.Address)!;
        var given = SignatureParser.Parse("main.record", "(id int64, name string, ok bool) int64", go: true, fn.Address);
        Assert.Equal(dwarf.Params.Select(p => p with { Location = null, EntryLocation = null }), given.Params);
        Assert.Equal(fn.Address, given.LowPc);
    }

    [Theory]
    [InlineData("-O0 -g")]
    [InlineData("-O2 -g")]
    public void C_SameParamsAsDwarf(string flags)
    {
        var elf = ElfImage.Open(SymbolFixtures.BuildC("cargs", flags));
        var fn = elf.FindFunction("record")!;
        var dwarf = DwarfReader.Load(elf)!.FindFunction(fn.Name, fn.Address)!;
        var given = SignatureParser.Parse("record", "(long id, const char *name, int ok)", go: false);
        var args = dwarf.Params.Where(p => !p.IsReturn).ToArray();
        Assert.Equal(args.Select(p => (p.Name, p.Type.Name, p.Type.Kind, p.Type.Size)), given.Params.Select(p => (p.Name, p.Type.Name, p.Type.Kind, p.Type.Size)));
        Assert.Equal(args[1].Type.Elem, given.Params[1].Type.Elem); // const char, for CString.Is
    }

    [Fact]
    public void Go_GroupedNamesUnnamedResultsAndComposites()
    {
        var f = SignatureParser.Parse("f", "(a, b int32, p *main.T, q *int, s []byte, m map[string]int, e error, v ...string) (n int, err error)", go: true);
        Assert.Equal(["a", "b", "p", "q", "s", "m", "e", "v", "n", "err"], f.Params.Select(p => p.Name));
        Assert.Equal([false, false, false, false, false, false, false, false, true, true], f.Params.Select(p => p.IsReturn));
        Assert.Equal(new TypeDesc("int32", TypeKind.Int, 4), f.Params[0].Type);
        Assert.Equal(f.Params[0].Type, f.Params[1].Type);
        Assert.Equal(("*main.T", TypeKind.Pointer, 8), (f.Params[2].Type.Name, f.Params[2].Type.Kind, f.Params[2].Type.Size));
        Assert.Equal(("[]uint8", TypeKind.Slice, 24), (f.Params[4].Type.Name, f.Params[4].Type.Kind, f.Params[4].Type.Size));
        Assert.Equal(new TypeDesc("uint8", TypeKind.Uint, 1), f.Params[4].Type.Elem);
        Assert.Equal((TypeKind.Map, 8), (f.Params[5].Type.Kind, f.Params[5].Type.Size));
        Assert.Equal(new TypeDesc("error", TypeKind.Interface, 16), f.Params[6].Type);
        Assert.Equal("[]string", f.Params[7].Type.Name);

        var unnamed = SignatureParser.Parse("g", "(int64, unsafe.Pointer, [4]uint16) string", go: true);
        Assert.Equal(["", "", "", "~r0"], unnamed.Params.Select(p => p.Name));
        Assert.Equal(new TypeDesc("unsafe.Pointer", TypeKind.Pointer, 8), unnamed.Params[1].Type);
        Assert.Equal((TypeKind.Array, 8, 4L), (unnamed.Params[2].Type.Kind, unnamed.Params[2].Type.Size, unnamed.Params[2].Type.Count));
        Assert.Equal(new TypeDesc("string", TypeKind.String, 16), unnamed.Params[3].Type);
    }

    [Theory]
    [InlineData("char c", "char", TypeKind.Int, 1)]
    [InlineData("unsigned char c", "unsigned char", TypeKind.Uint, 1)]
    [InlineData("short s", "short int", TypeKind.Int, 2)]
    [InlineData("unsigned short int s", "short unsigned int", TypeKind.Uint, 2)]
    [InlineData("unsigned u", "unsigned int", TypeKind.Uint, 4)]
    [InlineData("long l", "long int", TypeKind.Int, 8)]
    [InlineData("unsigned long long x", "long long unsigned int", TypeKind.Uint, 8)]
    [InlineData("size_t n", "size_t", TypeKind.Uint, 8)]
    [InlineData("ssize_t", "ssize_t", TypeKind.Int, 8)]
    [InlineData("int32_t v", "int32_t", TypeKind.Int, 4)]
    [InlineData("uint16_t v", "uint16_t", TypeKind.Uint, 2)]
    [InlineData("_Bool b", "_Bool", TypeKind.Bool, 1)]
    [InlineData("bool b", "_Bool", TypeKind.Bool, 1)]
    [InlineData("double d", "double", TypeKind.Float, 8)]
    [InlineData("float", "float", TypeKind.Float, 4)]
    [InlineData("void *p", "void*", TypeKind.Pointer, 8)]
    [InlineData("struct point *p", "struct point*", TypeKind.Pointer, 8)]
    [InlineData("char **argv", "char**", TypeKind.Pointer, 8)]
    [InlineData("const char * const s", "const char*", TypeKind.Pointer, 8)]
    [InlineData("int a[]", "int*", TypeKind.Pointer, 8)]
    [InlineData("enum color c", "color", TypeKind.Int, 4)]
    public void C_Types(string decl, string name, TypeKind kind, int size)
    {
        var t = SignatureParser.Parse("f", $"({decl})", go: false).Params.Single().Type;
        Assert.Equal((name, kind, size), (t.Name, t.Kind, t.Size));
    }

    [Fact]
    public void C_NamesDefaultToArgN_AndVoidIsEmpty()
    {
        Assert.Empty(SignatureParser.Parse("f", "(void)", go: false).Params);
        Assert.Empty(SignatureParser.Parse("f", "()", go: false).Params);
        Assert.Equal(["arg0", "n"], SignatureParser.Parse("f", "(const char *, int n)", go: false).Params.Select(p => p.Name));
    }

    [Theory]
    [InlineData("(id int64", true)]
    [InlineData("(id int64, )", true)]
    [InlineData("(id nosuch-type)", true)]
    [InlineData("(t main.T)", true)]              // a named type by value: size unknown
    [InlineData("(a, b)", true)]                  // unnamed unknown types a and b
    [InlineData("(x strin)", true)]
    [InlineData("(a int, string)", true)]         // mixes named and unnamed
    [InlineData("(int x) extra", false)]
    [InlineData("(struct point p)", false)]
    [InlineData("(long double x)", false)]
    [InlineData("(int (*cb)(int))", false)]
    [InlineData("(const char *s, ...)", false)]
    [InlineData("(signed unsigned x)", false)]
    [InlineData("(my_t x)", false)]
    public void BadSignature_IsOneLineBadInput(string signature, bool go)
    {
        var e = Assert.Throws<CalltapeException>(() => SignatureParser.Parse("fn", signature, go));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith("bad signature for fn: ", e.Message);
    }

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void StrippedGo_SignaturePlansTheRegisterAbi(GoToolchain go)
    {
        var elf = ElfImage.Open(Fixtures.BuildGo("args", go, StripFlags));
        Assert.Null(DwarfReader.Load(elf));
        var fn = elf.FindFunction("main.record")!;
        var info = SignatureParser.Parse(fn.Name, "(id int64, name string, ok bool) int64", go: true, fn.Address);
        var probe = ProbePlanner.Plan(0, 0, elf, fn, info, new PlanOptions(64));

        // The same plan as the unstripped binary's DWARF gives (the code is the same).
        var full = ElfImage.Open(Fixtures.BuildGo("args", go));
        var fullFn = full.FindFunction("main.record")!;
        var fromDwarf = ProbePlanner.Plan(0, 0, full, fullFn, DwarfReader.Load(full)!.FindFunction(fullFn.Name, fullFn.Address), new PlanOptions(64));
        Assert.Equal(AbiKind.GoRegs, probe.Abi);
        Assert.Equal(Shape(fromDwarf), Shape(probe));
        Assert.Equal(fromDwarf.Plan.Registers, probe.Plan.Registers);
        Assert.Equal(fromDwarf.ProbeOffset, probe.ProbeOffset);
        Assert.Null(probe.Note);
    }

    internal static IEnumerable<string> Shape(ProbeSpec p) =>
        p.Params.Select(x => $"{x.Name} {x.Type.Name} {x.Type.Kind} {x.Type.Size} [{string.Join(",", x.Pieces)}] {x.Deref} {x.NotCaptured}");
}

/// <summary>ProbeResolver with -p signatures: they override DWARF, fail early when malformed, and find assembly functions.</summary>
public class SignatureResolverTests
{
    [Fact]
    public void SignatureOverridesDwarf()
    {
        var bin = Fixtures.BuildGo("args", GoToolchain.Go126);
        var (_, plain) = Calltape.Recorder.Planning.ProbeResolver.Resolve(bin, ["main.record"], new PlanOptions());
        var (_, given) = Calltape.Recorder.Planning.ProbeResolver.Resolve(bin, ["main.record(x int64, s string, b bool)"], new PlanOptions());
        Assert.Equal(["id", "name", "ok"], plain[0].Params.Select(p => p.Name));
        Assert.Equal(["x", "s", "b"], given[0].Params.Select(p => p.Name));
        Assert.Equal(plain[0].Params.Select(p => string.Join(",", p.Pieces)), given[0].Params.Select(p => string.Join(",", p.Pieces)));
    }

    [Fact]
    public void BadSignatureIsBadInput_AsmWithoutSignatureIsNoted()
    {
        var bin = Fixtures.BuildGo("asmabi", GoToolchain.Go119);
        var e = Assert.Throws<CalltapeException>(() => Calltape.Recorder.Planning.ProbeResolver.Resolve(bin, ["main.addAsm(a int64"], new PlanOptions()));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        var (_, probes) = Calltape.Recorder.Planning.ProbeResolver.Resolve(bin, ["main.addAsm"], new PlanOptions());
        Assert.Equal(("main.addAsm.abi0", AbiKind.GoStack), (probes[0].Function, probes[0].Abi));
        Assert.Empty(probes[0].Params);
        Assert.Contains("give its signature", probes[0].Note);
    }
}
