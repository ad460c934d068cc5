using System.IO.Compression;
using Calltape.Analyzer.Bundles;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Calltape.Tests.Unit.Symbols;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

public class BinarySubsetTests
{
    [Theory]
    [InlineData(GoToolchain.Go119, "")]
    [InlineData(GoToolchain.Go126, "")]
    [InlineData(GoToolchain.Go119, "-ldflags=-s")] // stripped: functions only in .gopclntab
    public void GoSubset_IsSmaller_KeepsBuildIdsSymbolsPclntabAndDwarf_DropsCode(GoToolchain go, string flags)
    {
        var original = Fixtures.BuildGo("args", go, flags);
        var subset = Path.Combine(Path.GetTempPath(), $"calltape-subset-{Guid.NewGuid():N}");
        try
        {
            long kept;
            using (var output = new SparseWriteStream(new FileStream(subset, FileMode.CreateNew, FileAccess.Write)))
                kept = BinarySubset.Write(original, output);
            Assert.Equal(new FileInfo(original).Length, new FileInfo(subset).Length);
            // Code and data are most of a stripped binary; with DWARF, the DWARF (kept) is a third or more.
            var length = new FileInfo(original).Length;
            Assert.True(kept < (flags == "" ? length * 4 / 5 : length / 2), $"kept {kept} of {length} bytes");
            Assert.True(Deflated(subset) < Deflated(original) * 9 / 10, $"deflated {Deflated(subset)} vs {Deflated(original)}");

            var a = ElfImage.Open(original);
            var b = ElfImage.Open(subset);
            Assert.NotNull(a.GoBuildId);
            Assert.Equal(a.GoBuildId, b.GoBuildId);
            Assert.Equal(a.GnuBuildId, b.GnuBuildId);
            Assert.Equal(a.Functions.Select(f => (f.Name, f.Address, f.Size)), b.Functions.Select(f => (f.Name, f.Address, f.Size)));
            var record = a.FindFunction("main.record")!;
            Assert.Equal(a.FileOffsetOf(record.Address), b.FileOffsetOf(record.Address));
            foreach (var s in new[] { ".gopclntab", ".symtab", ".debug_info", ".debug_abbrev", ".debug_line", ".debug_str" })
                Assert.Equal(a.SectionData(s), b.SectionData(s));
            Assert.Empty(b.SectionData(".text")!);
            Assert.Equal(a.HasSection(".debug_info"), flags == "");

            var sections = SymbolFixtures.Readelf($"-SW {subset}");
            Assert.Matches(@"\.text\s+NOBITS", sections);
            Assert.Matches(@"\.rodata\s+NOBITS", sections);
            Assert.Matches(@"\.gopclntab\s+PROGBITS", sections);
            Assert.Matches(@"\.note\.go\.buildid\s+NOTE", sections);
        }
        finally
        {
            File.Delete(subset);
        }
    }

    [Fact]
    public void NotElf_IsCopiedWhole()
    {
        var path = Path.Combine(Path.GetTempPath(), $"calltape-notelf-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, [.. "#!/bin/sh\necho hi\n"u8]);
        try
        {
            using var ms = new MemoryStream();
            Assert.Equal(new FileInfo(path).Length, BinarySubset.Write(path, ms));
            Assert.Equal(File.ReadAllBytes(path), ms.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static long Deflated(string path)
    {
        using var ms = new MemoryStream();
        using (var z = new DeflateStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        using (var f = File.OpenRead(path))
            f.CopyTo(z);
        return ms.Length;
    }
}
