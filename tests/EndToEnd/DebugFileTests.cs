using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>DWARF found in a separate debug file (.gnu_debuglink to .debug/NAME.debug) or zstd-compressed: typed values.</summary>
public class DebugFileTests
{
    [Theory]
    [InlineData("--strip-debug")]
    [InlineData("--strip-all")] // the function names too come from the debug file
    public void DebugLinkedDwarf_DecodesEveryValue(string strip)
    {
        var dir = Repo.NewTempDir("debugfile");
        var bin = Path.Combine(dir, "abi");
        File.Copy(CFixtures.Build("abi", "-O2 -g"), bin);
        Directory.CreateDirectory(Path.Combine(dir, ".debug"));
        Fixtures.Run("objcopy", "--only-keep-debug abi .debug/abi.debug", dir);
        Fixtures.Run("strip", $"{strip} abi", dir);
        Fixtures.Run("objcopy", "--add-gnu-debuglink=.debug/abi.debug abi", dir);
        Assert.DoesNotContain(".debug_info", Fixtures.Run("readelf", $"-SW {bin}"));
        AssertEveryValue(bin, Path.Combine(dir, "cap.ctape"));
    }

    [Fact]
    public void ZstdCompressedDwarf_DecodesEveryValue()
    {
        // gcc 12's -gz knows only zlib; binutils 2.40's ld writes ELFCOMPRESS_ZSTD sections.
        var bin = CFixtures.Build("abi", "-O2 -g -Wl,--compress-debug-sections=zstd");
        Assert.Contains("ZSTD", Fixtures.Run("readelf", $"-tW {bin}"));
        AssertEveryValue(bin, Path.Combine(Repo.NewTempDir("zstd"), "cap.ctape"));
    }

    private static void AssertEveryValue(string bin, string capture)
    {
        var r = Tools.Run(Tools.Recorder, ["-o", capture, "-p", "abi_ints", "-p", "abi_uints", "-p", "abi_strs", "-q", "--string-max", "1024", "--", bin, "3"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var expected = CFixtures.ParseCalls(r.Stdout).Where(c => c.Function is "abi_ints" or "abi_uints" or "abi_strs").ToList();
        Assert.NotEmpty(expected);

        var rows = SignatureTests.Args(capture);
        Assert.Equal(expected.Count, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(expected[i].Function, rows[i].Function);
            Assert.Equal(expected[i].Fields.Keys.Order(), rows[i].Args.Keys.Order()); // the DWARF names, not arg0..
            foreach (var (name, text) in expected[i].Fields)
            {
                var v = rows[i].Args[name];
                if (text == "<nil>") Assert.Equal("nil pointer", v.GetProperty("not_captured").GetString());
                else Assert.Equal(text, SignatureTests.Text(v));
            }
        }
    }
}
