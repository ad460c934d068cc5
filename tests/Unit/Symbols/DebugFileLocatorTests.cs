using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>Separate debug files: found by build-id and by .gnu_debuglink (with its CRC), then read as the binary's DWARF.</summary>
public class DebugFileLocatorTests
{
    /// <summary>A gcc -g build split as Debian's dh_strip does: objcopy --only-keep-debug, strip --strip-debug.</summary>
    private static (string Dir, string Binary, string Debug, string Original) Split(string tag, bool debuglink)
    {
        var dir = Repo.NewTempDir("debugfile-" + tag);
        var original = SymbolFixtures.BuildC("cargs", "-O2 -g");
        var bin = Path.Combine(dir, "cargs");
        File.Copy(original, bin);
        Fixtures.Run("objcopy", "--only-keep-debug cargs cargs.debug", dir);
        Fixtures.Run("strip", "--strip-debug cargs", dir);
        if (debuglink) Fixtures.Run("objcopy", "--add-gnu-debuglink=cargs.debug cargs", dir);
        return (dir, bin, Path.Combine(dir, "cargs.debug"), original);
    }

    private static void AssertSameDwarf(string original, ElfImage stripped, DebugFileLocator locator, string expectedFile)
    {
        Assert.DoesNotContain(".debug_info", SymbolFixtures.Readelf($"-SW {stripped.Path}"));
        var dwarf = DwarfReader.Load(stripped, locator);
        Assert.NotNull(dwarf);
        Assert.Equal(expectedFile, dwarf.DebugFile);
        var fn = stripped.FindFunction("record")!;
        var full = ElfImage.Open(original);
        var want = DwarfReader.Load(full)!.FindFunction("record", full.FindFunction("record")!.Address)!;
        var got = dwarf.FindFunction("record", fn.Address)!;
        Assert.Equal(want.Params.Select(p => (p.Name, p.Type.Name, p.Type.Size)), got.Params.Select(p => (p.Name, p.Type.Name, p.Type.Size)));
        Assert.Equal(fn.Address, got.LowPc);
    }

    [Fact]
    public void ByBuildId()
    {
        var (dir, bin, debug, original) = Split("buildid", debuglink: false);
        var elf = ElfImage.Open(bin);
        var id = SymbolFixtures.ReadelfBuildId(bin)!;
        var root = Path.Combine(dir, "root");
        Assert.Null(new DebugFileLocator([root]).Find(elf));
        Assert.Null(DwarfReader.Load(elf, new DebugFileLocator([root])));

        var placed = Path.Combine(root, ".build-id", id[..2], id[2..] + ".debug");
        Directory.CreateDirectory(Path.GetDirectoryName(placed)!);
        File.Copy(debug, placed);
        AssertSameDwarf(original, elf, new DebugFileLocator([Path.Combine(dir, "elsewhere"), root]), placed);

        // A file under that name with another build-id (a stale package) is not used.
        File.Copy(SymbolFixtures.BuildC("cargs", "-O0 -g"), placed, overwrite: true);
        Assert.NotEqual(id, SymbolFixtures.ReadelfBuildId(placed));
        Assert.Null(new DebugFileLocator([root]).Find(elf));
    }

    [Fact]
    public void ByDebugLink_NextToItInDotDebugAndUnderTheRoot_WithCrcCheck()
    {
        var (dir, bin, debug, original) = Split("debuglink", debuglink: true);
        var elf = ElfImage.Open(bin);
        var noRoot = new DebugFileLocator([]);

        // readelf prints the section's name string; the CRC is the file's CRC-32 (gdb's gnu_debuglink_crc32).
        var link = DebugFileLocator.ParseDebugLink(elf.SectionData(".gnu_debuglink"));
        Assert.NotNull(link);
        Assert.Contains("cargs.debug", SymbolFixtures.Readelf($"-p .gnu_debuglink {bin}"));
        Assert.Equal("cargs.debug", link.Value.Name);
        Assert.Equal(DebugFileLocator.Crc32Of(debug), link.Value.Crc);
        Assert.Equal(0xCBF43926u, Crc32.Append(0, "123456789"u8)); // the CRC-32 check value

        AssertSameDwarf(original, elf, noRoot, debug); // same directory

        var dotDebug = Path.Combine(dir, ".debug", "cargs.debug");
        Directory.CreateDirectory(Path.GetDirectoryName(dotDebug)!);
        File.Move(debug, dotDebug);
        AssertSameDwarf(original, elf, noRoot, dotDebug);

        var root = Path.Combine(dir, "root");
        var underRoot = Path.Combine(root, dir.TrimStart('/'), "cargs.debug");
        Directory.CreateDirectory(Path.GetDirectoryName(underRoot)!);
        File.Move(dotDebug, underRoot);
        Assert.Null(noRoot.Find(elf));
        AssertSameDwarf(original, elf, new DebugFileLocator([root]), underRoot);

        // Any change to the debug file breaks the CRC: it is not used.
        File.AppendAllText(underRoot, "x");
        Assert.Null(new DebugFileLocator([root]).Find(elf));
        Assert.Null(DwarfReader.Load(elf, new DebugFileLocator([root])));
    }

    [Fact]
    public void StripAll_FunctionNamesComeFromTheDebugFile()
    {
        var (dir, bin, debug, original) = Split("stripall", debuglink: true);
        Fixtures.Run("strip", "--strip-all cargs", dir);
        var elf = ElfImage.Open(bin);
        Assert.Null(elf.FindFunction("record")); // not exported: only .symtab named it
        var withDebug = elf.WithDebugFileSymbols(new DebugFileLocator([]));
        Assert.Equal(SymbolFixtures.ReadelfSymbol(original, "record"), withDebug.FindFunction("record")!.Address);
        Assert.Equal(SymbolFixtures.ReadelfSymbol(debug, "scale"), withDebug.FindFunction("scale")!.Address);
        AssertSameDwarf(original, withDebug, new DebugFileLocator([]), debug);
        File.Delete(debug);
        Assert.Same(elf, elf.WithDebugFileSymbols(new DebugFileLocator([])));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'a', 0, 0, 0, 1, 2, 3, 4 }, "a", 0x04030201u)]
    [InlineData(new byte[] { (byte)'a', (byte)'b', (byte)'c', 0, 9, 0, 0, 0 }, "abc", 9u)]
    public void ParseDebugLink_NamePaddingCrc(byte[] section, string name, uint crc) =>
        Assert.Equal((name, crc), DebugFileLocator.ParseDebugLink(section));

    [Fact]
    public void ParseDebugLink_Malformed()
    {
        Assert.Null(DebugFileLocator.ParseDebugLink(null));
        Assert.Null(DebugFileLocator.ParseDebugLink([(byte)'a', 0, 0]));
        Assert.Null(DebugFileLocator.ParseDebugLink([0, 0, 0, 0, 1, 2, 3, 4]));
        Assert.Null(DebugFileLocator.ParseDebugLink([(byte)'a', (byte)'/', (byte)'b', 0, 1, 2, 3, 4]));
    }
}
