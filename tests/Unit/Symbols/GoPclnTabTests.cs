using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

public class GoPclnTabTests
{
    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void StrippedGoBinary_FunctionsComeFromPclntab(GoToolchain go)
    {
        // -s drops .symtab (and DWARF); -w keeps .symtab. The code layout is the same, so addresses must agree.
        var stripped = ElfImage.Open(Fixtures.BuildGo("args", go, "-ldflags=-s"));
        var symbols = ElfImage.Open(Fixtures.BuildGo("args", go, "-ldflags=-w"));
        Assert.DoesNotContain(".symtab", SymbolFixtures.Readelf($"-SW {stripped.Path}"));

        var fromTab = stripped.Functions.Where(f => f.Name.StartsWith("main.")).ToArray();
        var fromSym = symbols.Functions.Where(f => f.Name.StartsWith("main.")).ToArray();
        Assert.NotEmpty(fromTab);
        Assert.Equal(fromSym.Select(f => (f.Name, f.Address)), fromTab.Select(f => (f.Name, f.Address)));
        Assert.True(stripped.Functions.Count > 1000);
        var record = stripped.FindFunction("main.record")!;
        Assert.InRange(record.Size, 1UL, symbols.FindFunction("main.record")!.Size + 32); // pclntab sizes include padding
        Assert.Equal(symbols.FileOffsetOf(record.Address), stripped.FileOffsetOf(record.Address));
    }
}
