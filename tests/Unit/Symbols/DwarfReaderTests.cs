using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

public class DwarfReaderTests
{
    [Theory]
    [InlineData(GoToolchain.Go119, 4, "go1.19")]
    [InlineData(GoToolchain.Go126, 5, "go1.26")]
    public void GoRecord_ParamsMatchReadelf(GoToolchain go, int dwarfVersion, string producerVersion)
    {
        var path = Fixtures.BuildGo("args", go);
        var dump = SymbolFixtures.Readelf($"--debug-dump=info {path}");
        Assert.Contains($"Version:       {dwarfVersion}", dump); // the unit header version readelf reports

        var elf = ElfImage.Open(path);
        var dwarf = DwarfReader.Load(elf);
        Assert.NotNull(dwarf);
        var fn = elf.FindFunction("main.record")!;
        var info = dwarf.FindFunction("main.record", fn.Address);

        Assert.NotNull(info);
        Assert.Equal("main.record", info.Name);
        Assert.Equal(fn.Address, info.LowPc);
        Assert.Contains(producerVersion, dwarf.Producer);
        Assert.Contains("regabi", info.Producer);
        Assert.Equal(["id", "name", "ok", "~r0"], info.Params.Select(p => p.Name));
        Assert.Equal([false, false, false, true], info.Params.Select(p => p.IsReturn));
        Assert.Equal(new TypeDesc("int64", TypeKind.Int, 8), info.Params[0].Type);
        Assert.Equal(new TypeDesc("string", TypeKind.String, 16), info.Params[1].Type);
        Assert.Equal(new TypeDesc("bool", TypeKind.Bool, 1), info.Params[2].Type);
        Assert.Equal(TypeKind.Int, info.Params[3].Type.Kind);

        // The same names, in the same order, as readelf lists the formal parameters of main.record.
        var section = dump[dump.IndexOf("DW_AT_name        : main.record\n", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("DW_TAG_subprogram", StringComparison.Ordinal)];
        var names = section.Split('\n').Where(l => l.Contains("DW_AT_name")).Skip(1).Select(l => l.Split(':').Last().Trim());
        Assert.Equal(info.Params.Select(p => p.Name), names);
    }

    [Fact]
    public void ByNameWhenLowPcUnknown()
    {
        var elf = ElfImage.Open(Fixtures.BuildGo("args", GoToolchain.Go126));
        var dwarf = DwarfReader.Load(elf)!;
        var info = dwarf.FindFunction("main.record", 0);
        Assert.NotNull(info);
        Assert.Equal(elf.FindFunction("main.record")!.Address, info.LowPc);
        Assert.Null(dwarf.FindFunction("main.nosuchfunction", 0));
    }

    [Theory]
    [InlineData(GoToolchain.Go119, "")]
    [InlineData(GoToolchain.Go126, "")]
    [InlineData(GoToolchain.Go126, "\"-gcflags=all=-N -l\"")]
    public void GoTypes_FromGoKind(GoToolchain go, string flags)
    {
        var elf = ElfImage.Open(Fixtures.BuildGo("abimix", go, flags));
        var info = DwarfReader.Load(elf)!.FindFunction("main.mixed", elf.FindFunction("main.mixed")!.Address)!;
        var t = info.Params.Where(p => !p.IsReturn).ToDictionary(p => p.Name, p => p.Type);

        Assert.Equal(TypeKind.Struct, t["p"].Kind);
        Assert.Equal("main.Point", t["p"].Name);
        Assert.Equal([("X", 0), ("Y", 8)], t["p"].Fields.Select(f => (f.Name, f.Offset)));
        Assert.Equal(new TypeDesc("float64", TypeKind.Float, 8), t["f"]);
        Assert.Equal((TypeKind.Slice, 24), (t["xs"].Kind, t["xs"].Size));
        Assert.Equal((TypeKind.Interface, 16, "error"), (t["err"].Kind, t["err"].Size, t["err"].Name));
        Assert.Equal((TypeKind.Map, 8), (t["m"].Kind, t["m"].Size));
        Assert.Equal((TypeKind.Array, 2L, 8), (t["arr"].Kind, t["arr"].Count, t["arr"].Size));
        Assert.Equal(TypeKind.Int, t["arr"].Elem!.Kind);
        Assert.Equal((TypeKind.Array, 1L), (t["one"].Kind, t["one"].Count));
        Assert.Equal((TypeKind.Pointer, "*main.Point"), (t["ptr"].Kind, t["ptr"].Name));
        Assert.Equal((TypeKind.Int, 4, "main.ID"), (t["id"].Kind, t["id"].Size, t["id"].Name));
        Assert.Equal((TypeKind.Struct, 16), (t["c"].Kind, t["c"].Size));
        Assert.All(t["c"].Fields, f => Assert.Equal(TypeKind.Float, f.Type.Kind));
        Assert.Equal(TypeKind.Chan, t["ch"].Kind);
        Assert.Equal(TypeKind.Func, t["fn"].Kind);
    }

    [Fact]
    public void GoMethod_ReceiverIsFirstParam()
    {
        var elf = ElfImage.Open(Fixtures.BuildGo("abimix", GoToolchain.Go126));
        var fn = elf.FindFunction("main.(*Point).Move");
        Assert.NotNull(fn);
        var info = DwarfReader.Load(elf)!.FindFunction(fn.Name, fn.Address)!;
        Assert.Equal(["p", "dx", "label"], info.Params.Select(p => p.Name));
        Assert.Equal(TypeKind.Pointer, info.Params[0].Type.Kind);
    }

    [Theory]
    [InlineData("-g -O1", "gcc")]                    // DWARF 5, gcc 12 default
    [InlineData("-g -O0 -gdwarf-4", "gcc")]          // DWARF 4
    [InlineData("-g -O2 -gz=zlib", "gcc")]           // compressed, optimized
    [InlineData("-g -O1 -gdwarf-5", "clang-14")]     // strx1/addrx forms via str_offsets_base and addr_base
    [InlineData("-g -O1 -gdwarf-4", "clang-14")]
    public void C_ParamsAndReturnType(string flags, string compiler)
    {
        var path = SymbolFixtures.BuildC("cargs", flags, compiler);
        var elf = ElfImage.Open(path);
        var dwarf = DwarfReader.Load(elf)!;
        var fn = elf.FindFunction("record")!;
        var info = dwarf.FindFunction("record", fn.Address)!;
        Assert.Contains(compiler == "gcc" ? "GNU C" : "clang", dwarf.Producer);
        if (flags.Contains("dwarf-5") && compiler != "gcc") Assert.Contains("DW_FORM_strx", SymbolFixtures.Readelf($"--debug-dump=abbrev {path}"));
        Assert.Equal(["id", "name", "ok", "~r0"], info.Params.Select(p => p.Name));
        Assert.Equal((TypeKind.Int, 8), (info.Params[0].Type.Kind, info.Params[0].Type.Size));
        Assert.Equal((TypeKind.Pointer, "const char*"), (info.Params[1].Type.Kind, info.Params[1].Type.Name));
        Assert.Equal((TypeKind.Int, 4), (info.Params[2].Type.Kind, info.Params[2].Type.Size));
        Assert.True(info.Params[3].IsReturn);

        var scale = dwarf.FindFunction("scale", elf.FindFunction("scale")!.Address)!;
        var point = scale.Params[0].Type.Elem!;
        Assert.Equal(("point", TypeKind.Struct), (point.Name, point.Kind)); // behind a pointer: shallow, no fields
        Assert.Equal((TypeKind.Float, 8), (scale.Params[1].Type.Kind, scale.Params[1].Type.Size));
        Assert.Equal((TypeKind.Uint, 1), (scale.Params[2].Type.Kind, scale.Params[2].Type.Size));
    }

    [Fact]
    public void NoDebugInfo_LoadReturnsNull()
    {
        var elf = ElfImage.Open(SymbolFixtures.BuildC("cargs", "-O1 -s"));
        Assert.Null(DwarfReader.Load(elf));
    }
}
