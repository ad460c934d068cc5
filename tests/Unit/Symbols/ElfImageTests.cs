using Calltape.Capture;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

public class ElfImageTests
{
    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void GoBinary_BuildIdsAndOffsetsMatchReadelf(GoToolchain go)
    {
        var path = Fixtures.BuildGo("args", go);
        var elf = ElfImage.Open(path);

        Assert.True(elf.IsGo);
        Assert.Equal(SymbolFixtures.ReadelfBuildId(path), elf.GnuBuildId); // Go 1.19 has no GNU note: both null
        Assert.NotNull(elf.GoBuildId);
        Assert.Contains(elf.GoBuildId, Fixtures.Run("/usr/lib/go-1.26/bin/go", $"tool buildid {path}"));

        var fn = elf.FindFunction("main.record");
        Assert.NotNull(fn);
        Assert.Equal(SymbolFixtures.ReadelfSymbol(path, "main.record"), fn.Address);
        Assert.True(fn.Size > 0);
        Assert.Equal(SymbolFixtures.ReadelfFileOffset(path, fn.Address), elf.FileOffsetOf(fn.Address));

        // ReadCode returns the same bytes as reading the file at FileOffsetOf.
        var code = elf.ReadCode(fn.Address, 16);
        var file = File.ReadAllBytes(path).AsSpan((int)elf.FileOffsetOf(fn.Address), 16).ToArray();
        Assert.Equal(file, code);
    }

    [Fact]
    public void CBinary_PieOffsetsAndBuildId()
    {
        var path = SymbolFixtures.BuildC("cargs", "-g -O1");
        var elf = ElfImage.Open(path);

        Assert.False(elf.IsGo);
        Assert.Null(elf.GoBuildId);
        Assert.NotNull(elf.GnuBuildId);
        Assert.Equal(SymbolFixtures.ReadelfBuildId(path), elf.GnuBuildId);
        foreach (var name in new[] { "record", "scale", "main" })
        {
            var fn = elf.FindFunction(name);
            Assert.NotNull(fn);
            Assert.Equal(SymbolFixtures.ReadelfSymbol(path, name), fn.Address);
            Assert.Equal(SymbolFixtures.ReadelfFileOffset(path, fn.Address), elf.FileOffsetOf(fn.Address));
        }
        // Undefined imports (printf, strlen) are not functions of this file.
        Assert.Null(elf.FindFunction("printf"));
        Assert.Equal(elf.Functions.Count, elf.Functions.Select(f => (f.Name, f.Address)).Distinct().Count());
    }

    [Fact]
    public void Describe_ReportsIdentity()
    {
        var path = SymbolFixtures.BuildC("cargs", "-g -O1");
        var info = ElfImage.Open(path).Describe();
        Assert.Equal(path, info.Path);
        Assert.Equal(new FileInfo(path).Length, info.Size);
        Assert.Equal(SymbolFixtures.ReadelfBuildId(path), info.GnuBuildId);
        Assert.InRange(info.MtimeUnixNs, DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds() * 1_000_000L, long.MaxValue);
    }

    [Theory]
    [InlineData("-gz=zlib")]
    [InlineData("-gz=zlib-gnu")]
    public void SectionData_InflatesCompressedDebugSections(string gz)
    {
        // objcopy inflates the same file, so only the compression differs (gcc's producer string records -gz).
        var path = SymbolFixtures.BuildC("cargs", $"-g -O1 {gz}");
        var inflated = path + ".plain";
        Fixtures.Run("objcopy", $"--decompress-debug-sections {path} {inflated}");
        var plain = ElfImage.Open(inflated);
        var compressed = ElfImage.Open(path);
        foreach (var name in new[] { ".debug_info", ".debug_abbrev", ".debug_str" })
            Assert.Equal(plain.SectionData(name), compressed.SectionData(name));
        Assert.Null(plain.SectionData(".debug_nonexistent"));
    }

    [Fact]
    public void Go119_DebugInfoIsShfCompressedAndInflates()
    {
        var path = Fixtures.BuildGo("args", GoToolchain.Go119);
        Assert.Matches(@"\.debug_info\s+PROGBITS\s+\S+\s+\S+\s+\S+\s+\S+\s+C\b", SymbolFixtures.Readelf($"-SW {path}"));
        var info = ElfImage.Open(path).SectionData(".debug_info");
        Assert.NotNull(info);
        Assert.Equal(4, BitConverter.ToUInt16(info, 4)); // DWARF 4 unit header: unit_length, then version
    }

    [Fact]
    public void Errors_AreCalltapeExceptions()
    {
        var missing = Assert.Throws<CalltapeException>(() => ElfImage.Open("/nonexistent/calltape-binary"));
        Assert.Equal(ExitCodes.NotFound, missing.ExitCode);

        var text = Path.GetTempFileName();
        File.WriteAllText(text, "not an elf file at all");
        var notElf = Assert.Throws<CalltapeException>(() => ElfImage.Open(text));
        Assert.Equal(ExitCodes.BadInput, notElf.ExitCode);
        File.Delete(text);

        var elf = ElfImage.Open(SymbolFixtures.BuildC("cargs", "-g -O1"));
        Assert.Throws<CalltapeException>(() => elf.FileOffsetOf(0xdead_0000_0000));
    }

    [Fact]
    public void SuggestNames_OffersNearNames()
    {
        var elf = ElfImage.Open(Fixtures.BuildGo("args", GoToolchain.Go126));
        Assert.Null(elf.FindFunction("main.recrod"));
        Assert.Contains("main.record", elf.SuggestNames("main.recrod"));
        Assert.Contains("main.record", elf.SuggestNames("record"));
        Assert.True(elf.SuggestNames("record", 2).Count <= 2);
        Assert.Empty(elf.SuggestNames("zzzzqqqqxxxx"));
    }
}
