using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

public class GoPrologueTests
{
    [Theory]
    [InlineData(new byte[] { 0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x10, 0, 0, 0, 0x55 }, 10, 0)] // cmp rsp,[r14+16]; jbe rel32; push rbp
    [InlineData(new byte[] { 0x49, 0x3b, 0x66, 0x10, 0x76, 0x10, 0x55 }, 6, 0)]                // short jbe
    [InlineData(new byte[] { 0x4c, 0x8d, 0x64, 0x24, 0x80, 0x4d, 0x3b, 0x66, 0x10, 0x76, 0x10, 0x55 }, 11, 0)] // lea r12,[rsp-128]; cmp r12,[r14+16]; jbe
    [InlineData(new byte[] { 0x55, 0x49, 0x3b, 0x66, 0x10, 0x76, 0x10, 0x90 }, 7, 8)]          // a push before the check moves SP
    [InlineData(new byte[] { 0x48, 0x3b, 0x4a, 0x10, 0x76, 0x05, 0x90 }, 0, 0)]                // cmp rcx,[rdx+16]; jbe: a bounds check, not a stack check
    [InlineData(new byte[] { 0x48, 0x89, 0x5c, 0x24, 0x10, 0xc3 }, 0, 0)]                      // leaf without a check
    [InlineData(new byte[] { 0x49, 0x3b, 0x66, 0x10 }, 0, 0)]                                  // truncated
    public void Synthetic(byte[] code, int offset, int adjust) =>
        Assert.Equal((offset, adjust), GoPrologue.FindProbePoint(code, 0x401000));

    public static TheoryData<GoToolchain, string> Builds => new()
    {
        { GoToolchain.Go119, "" }, { GoToolchain.Go126, "" }, { GoToolchain.Go126, "\"-gcflags=all=-N -l\"" },
    };

    [Theory]
    [MemberData(nameof(Builds))]
    public void RealFunctions_ProbeFollowsTheStackCheckBranch(GoToolchain go, string flags)
    {
        var path = Fixtures.BuildGo("abimix", go, flags);
        var elf = ElfImage.Open(path);
        var withCheck = 0;
        // Every function of package main and package fmt, checked against objdump independently of Iced.
        foreach (var fn in elf.Functions.Where(f => f.Name.StartsWith("main.") || f.Name.StartsWith("fmt.")))
        {
            var (offset, adjust) = GoPrologue.FindProbePoint(elf.ReadCode(fn.Address, (int)Math.Min(fn.Size, 64)), fn.Address);
            var head = Objdump(path, fn.Address, fn.Address + Math.Min(fn.Size, 32));
            if (offset == 0)
            {
                Assert.DoesNotContain(head.Take(6), l => l.Contains("cmp") && l.Contains("[r14+0x10]"));
                continue;
            }
            withCheck++;
            Assert.Equal(0, adjust);
            // The last instruction before the probe point is the JBE that follows "cmp ..., [r14+0x10]".
            var lines = Objdump(path, fn.Address, fn.Address + (ulong)offset);
            Assert.Matches(@"\bjbe\b", lines[^1]);
            Assert.Contains("[r14+0x10]", lines[^2]);
        }
        Assert.True(withCheck >= 3, $"only {withCheck} functions had a stack check");
        foreach (var name in new[] { "main.mixed", "main.bigframe", "main.main" })
        {
            var fn = elf.FindFunction(name)!;
            Assert.True(GoPrologue.FindProbePoint(elf.ReadCode(fn.Address, 64), fn.Address).Offset > 0, name);
        }
    }

    /// <summary>objdump's instruction lines (Intel syntax) for [start, stop).</summary>
    internal static string[] Objdump(string path, ulong start, ulong stop) =>
        Fixtures.Run("objdump", $"-d -M intel --no-show-raw-insn --start-address=0x{start:x} --stop-address=0x{stop:x} {path}")
            .Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+[0-9a-f]+:\t")).ToArray();
}
