using Calltape.Symbols;
using Calltape.Tests.Support;
using Calltape.Tests.Unit.Symbols;
using Xunit;

namespace Calltape.Tests.Unit.Stacks;

/// <summary>Offline symbolization of user stacks: the pure expansion, Go's .gopclntab (inlined frames), C's .symtab, and
/// C's inlined frames from DWARF.</summary>
public class StackSymbolizationTests
{
    [Fact]
    public void ReturnAddressesAreLookedUpInsideTheCall_FrameZeroAtItself_AndUnknownFramesKeepTheirAddress()
    {
        const ulong bias = 0x5555_0000_0000;
        var asked = new List<ulong>();
        IReadOnlyList<SourceFrame>? Lookup(ulong vaddr)
        {
            asked.Add(vaddr);
            return vaddr switch
            {
                0x1000 => [new SourceFrame("probed", "p.go", 3, false)],
                0x2004 => [new SourceFrame("hop", "p.go", 9, true), new SourceFrame("b", "p.go", 12, false)],
                _ => null,
            };
        }
        var frames = StackSymbolizer.Symbolize([bias + 0x1000, bias + 0x2005, 0x7f00_0000_1234], pc => Lookup(pc - bias));
        Assert.Equal([0x1000UL, 0x2004, 0x7f00_0000_1234 - bias - 1], asked);
        Assert.Equal(["probed", "hop", "b", null], frames.Select(f => f.Function));
        Assert.Equal([0, 1, 2, 3], frames.Select(f => f.Depth));
        Assert.Equal([false, true, false, false], frames.Select(f => f.Inlined));
        Assert.Equal(bias + 0x2005, frames[1].Address);
        Assert.Equal(frames[1].Address, frames[2].Address);
        Assert.Equal("0x7f0000001234", StackSymbolizer.DisplayName(frames[3]));
        Assert.Equal(bias, StackSymbolizer.Bias(bias + 0x1000, 0x1000));
    }

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void Go_TheCallInsideAnInlinedFunction_ResolvesToTheInlinedFrameThenItsCaller_WithSourceLines(GoToolchain go)
    {
        var bin = Fixtures.BuildGo("stacks", go);
        var source = File.ReadAllLines(Path.Combine(Repo.Root, "tests", "fixtures", "go", "stacks", "main.go"));
        int LineOf(string text) => Array.FindIndex(source, l => l.Contains(text, StringComparison.Ordinal)) + 1;

        var image = ElfImage.Open(bin);
        var probed = image.FindFunction("main.probed")!;
        var b = image.FindFunction("main.b")!;
        var sym = BinarySymbolizer.Open(bin);
        Assert.True(sym.HasInlineInfo);

        // The return address of b's call to probed (E8 rel32 whose target is probed), as a stack walk records it.
        var code = image.ReadCode(b.Address, (int)b.Size);
        var ret = Enumerable.Range(0, code.Length - 4)
            .Where(i => code[i] == 0xe8)
            .Select(i => b.Address + (ulong)i + 5)
            .Single(r => r + (ulong)(long)BitConverter.ToInt32(code, (int)(r - b.Address - 4)) == probed.Address);

        var frames = sym.Lookup(ret - 1);
        Assert.Equal(["main.hop", "main.b"], frames.Select(f => f.Function));
        Assert.Equal([true, false], frames.Select(f => f.Inlined));
        Assert.Equal(LineOf("func hop(v int64) int64 { return probed(v+1) + 1 }"), frames[0].Line);
        Assert.Equal(LineOf("func b(v int64) int64 { return hop(v*3) + 5 }"), frames[1].Line);
        Assert.All(frames, f => Assert.EndsWith("stacks/main.go", f.File));

        var entry = sym.Lookup(probed.Address);
        Assert.Equal("main.probed", Assert.Single(entry).Function);
        Assert.Equal(LineOf("func probed(v int64) int64 {"), entry[0].Line);
        Assert.Empty(sym.Lookup(1)); // below .text: no function
    }

    [Fact]
    public void C_FileAndLineComeFromDebugLine_AsAddr2lineReadsThem()
    {
        var bin = SymbolFixtures.BuildC("cstacks", "-O0 -g -fno-omit-frame-pointer");
        var image = ElfImage.Open(bin);
        var sym = BinarySymbolizer.Open(bin);
        foreach (var name in new[] { "probed", "a", "b", "main" })
        {
            var f = image.FindFunction(name)!;
            for (var off = 0UL; off < f.Size; off += 5)
            {
                var want = Fixtures.Run("addr2line", $"-e {bin} 0x{f.Address + off:x}").Trim().Split(' ')[0]; // "FILE:LINE (discriminator N)"
                var got = Assert.Single(sym.Lookup(f.Address + off));
                Assert.Equal(want, $"{got.File}:{got.Line}");
            }
        }
    }

    [Fact]
    public void C_FunctionsComeFromTheSymbolTable()
    {
        var bin = SymbolFixtures.BuildC("cstacks", "-O0 -g -fno-omit-frame-pointer");
        var image = ElfImage.Open(bin);
        var sym = BinarySymbolizer.Open(bin);
        foreach (var name in new[] { "probed", "a", "b", "main" })
        {
            var f = image.FindFunction(name)!;
            Assert.Equal(name, Assert.Single(sym.Lookup(f.Address + f.Size / 2)).Function);
            Assert.Equal(name, Assert.Single(sym.Lookup(f.Address)).Function);
        }
    }
    [Theory]
    [InlineData("gcc", "-O2 -g")]            // DWARF 5: DW_AT_ranges into .debug_rnglists by offset
    [InlineData("gcc", "-O2 -g -gdwarf-4")]  // .debug_ranges
    [InlineData("clang-14", "-O2 -g")]       // DW_FORM_rnglistx through DW_AT_rnglists_base
    public void C_InlinedFrames_AreTheChainAddr2lineReports_AtEveryAddress(string compiler, string flags)
    {
        var bin = SymbolFixtures.BuildC("inlines", flags, compiler);
        var image = ElfImage.Open(bin);
        var sym = BinarySymbolizer.Open(bin);
        Assert.True(sym.HasInlineInfo);
        var deepest = 0;
        foreach (var name in new[] { "outer", "main" })
        {
            var f = image.FindFunction(name)!;
            var addresses = Enumerable.Range(0, (int)f.Size).Select(o => f.Address + (ulong)o).ToList();
            // binutils 2.40's addr2line misreads clang's DW_FORM_rnglistx ranges (it drops an inlined level that
            // llvm-symbolizer and the DIEs show); LLVM's own symbolizer, in GNU output style, is the oracle for clang.
            var want = Addr2line(compiler.StartsWith("clang", StringComparison.Ordinal) ? "llvm-symbolizer-14" : "addr2line", bin, addresses);
            foreach (var a in addresses)
            {
                var got = sym.Lookup(a);
                var frames = got.Select(g => $"{g.Function} {g.File}:{g.Line}").ToList();
                Assert.True(want[a].SequenceEqual(frames), $"0x{a:x}: addr2line [{string.Join(", ", want[a])}], symbolizer [{string.Join(", ", frames)}]");
                // Every frame but the last was inlined into the next.
                Assert.Equal(Enumerable.Range(0, got.Count).Select(i => i < got.Count - 1), got.Select(g => g.Inlined));
                deepest = Math.Max(deepest, got.Count);
            }
        }
        Assert.Equal(3, deepest); // leaf in middle in outer
    }

    [Fact]
    public void C_WithoutInlinedCalls_HasNoInlineInfo()
    {
        var sym = BinarySymbolizer.Open(SymbolFixtures.BuildC("cstacks", "-O0 -g -fno-omit-frame-pointer"));
        Assert.False(sym.HasInlineInfo);
    }

    /// <summary>addr2line -f -i -a (or llvm-symbolizer in its GNU style): per address, its frames innermost first as
    /// "FUNCTION FILE:LINE" (discriminators dropped).</summary>
    private static Dictionary<ulong, List<string>> Addr2line(string tool, string bin, List<ulong> addresses)
    {
        var result = new Dictionary<ulong, List<string>>();
        var options = tool == "addr2line" ? $"-f -i -a -e {bin}" : $"--obj={bin} --output-style=GNU -f -i -a";
        var lines = Fixtures.Run(tool, $"{options} {string.Join(' ', addresses.Select(a => $"0x{a:x}"))}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        List<string>? current = null;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("0x", StringComparison.Ordinal))
            {
                result[Convert.ToUInt64(lines[i][2..], 16)] = current = [];
                continue;
            }
            current!.Add($"{lines[i]} {lines[++i].Split(' ')[0]}");
        }
        return result;
    }
}
