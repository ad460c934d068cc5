using Calltape.Capture;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>zstd-compressed DWARF (ELFCOMPRESS_ZSTD): the same bytes and functions as the uncompressed build.</summary>
public class ZstdDwarfTests
{
    private static readonly string[] Sections = [".debug_info", ".debug_abbrev", ".debug_str", ".debug_line", ".debug_line_str"];

    [Theory]
    [InlineData("objcopy")]
    [InlineData("ld")]
    public void SameDwarfAsUncompressed(string how)
    {
        var plain = SymbolFixtures.BuildC("cargs", "-O2 -g");
        string zstd;
        if (how == "objcopy")
        {
            zstd = Path.Combine(Repo.NewTempDir("zstd"), "cargs");
            Fixtures.Run("objcopy", $"--compress-debug-sections=zstd {plain} {zstd}");
        }
        else
        {
            // gcc 12's -gz knows only zlib; the linker (binutils 2.40) compresses with zstd.
            zstd = SymbolFixtures.BuildC("cargs", "-O2 -g -Wl,--compress-debug-sections=zstd");
        }
        // readelf -t names the compression of each compressed section.
        var headers = SymbolFixtures.Readelf($"-tW {zstd}");
        var info = headers[headers.IndexOf(".debug_info", StringComparison.Ordinal)..].Split('\n').Take(4);
        Assert.Contains(info, l => l.Trim().StartsWith("ZSTD,", StringComparison.Ordinal));

        var a = ElfImage.Open(plain);
        var b = ElfImage.Open(zstd);
        foreach (var s in Sections) Assert.Equal(a.SectionData(s), b.SectionData(s));
        foreach (var name in new[] { "record", "scale", "main" })
        {
            var fa = DwarfReader.Load(a)!.FindFunction(name, a.FindFunction(name)!.Address)!;
            var fb = DwarfReader.Load(b)!.FindFunction(name, b.FindFunction(name)!.Address)!;
            Assert.Equal(fa.Params.Select(p => (p.Name, p.Type.Name, p.Type.Kind, p.Type.Size)), fb.Params.Select(p => (p.Name, p.Type.Name, p.Type.Kind, p.Type.Size)));
            Assert.Equal(fa.LowPc, fb.LowPc);
        }
    }

    [Fact]
    public void CorruptZstdIsBadInput()
    {
        var zstd = Path.Combine(Repo.NewTempDir("zstd-bad"), "cargs");
        Fixtures.Run("objcopy", $"--compress-debug-sections=zstd {SymbolFixtures.BuildC("cargs", "-O2 -g")} {zstd}");
        // Overwrite the zstd frame right after the 24-byte Elf64_Chdr of .debug_info.
        var offset = SectionOffset(zstd, ".debug_info") + 24;
        using (var f = File.OpenWrite(zstd))
        {
            f.Position = offset;
            f.Write(new byte[16]);
        }
        var e = Assert.Throws<CalltapeException>(() => ElfImage.Open(zstd).SectionData(".debug_info"));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.Contains(".debug_info", e.Message);
    }

    private static long SectionOffset(string path, string name)
    {
        foreach (var line in SymbolFixtures.Readelf($"-SW {path}").Split('\n'))
        {
            var at = line.IndexOf("] " + name + " ", StringComparison.Ordinal);
            if (at < 0) continue;
            var cols = line[(at + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return Convert.ToInt64(cols[3], 16); // Name Type Address Off
        }
        throw new InvalidOperationException($"{name} not in {path}");
    }
}
