using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>The toolchain version in .go.buildinfo, against what that toolchain's own `go version` prints.</summary>
public class GoBuildInfoTests
{
    [Theory]
    [InlineData(GoToolchain.Go119, "")]
    [InlineData(GoToolchain.Go119, "-ldflags=-s")]
    [InlineData(GoToolchain.Go126, "")]
    [InlineData(GoToolchain.Go126, "-ldflags=-s")]
    public void VersionIsTheToolchains_EvenStripped(GoToolchain go, string flags)
    {
        var elf = ElfImage.Open(Fixtures.BuildGo("args", go, flags));
        // "go version go1.19.8 linux/amd64" -> "go1.19.8"
        var want = Fixtures.Run(Fixtures.GoBinary(go), "version").Split(' ')[2];
        Assert.Equal(want, GoBuildInfo.Version(elf));
        // And what `go version FILE` reads from the binary itself: "FILE: go1.19.8".
        Assert.EndsWith(": " + want, Fixtures.Run(Fixtures.GoBinary(go), $"version {elf.Path}").Trim());
    }

    // No Go < 1.18 toolchain is installable here, so the pre-1.18 layout is made from a 1.19 binary: flags 0 and, at
    // byte 16, the address of a Go string header {data, len} that points at the version text. That is the layout Go
    // 1.13-1.17 linkers wrote (debug/buildinfo, "!flagsVersionInl"); `go version FILE` reads it as the oracle.
    [Fact]
    public void PointerLayoutOfGoBefore118_ReadsTheSameVersion()
    {
        var source = Fixtures.BuildGo("args", GoToolchain.Go119, "");
        var want = GoBuildInfo.Version(ElfImage.Open(source))!;
        var copy = Path.Combine(Repo.NewTempDir("buildinfo"), "old-layout");
        File.Copy(source, copy);
        ulong offset, address;
        using (var fs = File.OpenRead(copy))
        {
            var section = LibObjectFile.Elf.ElfFile.Read(fs).Sections.Single(s => s.Name.Value == ".go.buildinfo");
            (offset, address) = (section.Position, ((LibObjectFile.Elf.ElfSection)section).VirtualAddress);
        }
        using (var fs = File.OpenWrite(copy))
        {
            void Put(ulong at, ReadOnlySpan<byte> bytes) { fs.Position = (long)(offset + at); fs.Write(bytes); }
            Put(15, [0]);                                          // flags: no inline version
            Put(16, BitConverter.GetBytes(address + 48));          // -> the string header below
            Put(24, BitConverter.GetBytes(0UL));                   // no module info
            Put(48, BitConverter.GetBytes(address + 33));          // header.data -> the text inlined at 33 (after its 1-byte length)
            Put(56, BitConverter.GetBytes((ulong)want.Length));    // header.len
        }
        Assert.Equal(want, GoBuildInfo.Version(ElfImage.Open(copy)));
        Assert.EndsWith(": " + want, Fixtures.Run(Fixtures.GoBinary(GoToolchain.Go119), $"version {copy}").Trim());
    }

    [Fact]
    public void NotGo_HasNoVersion() => Assert.Null(GoBuildInfo.Version(ElfImage.Open("/bin/true")));

    [Theory]
    [InlineData("go1.16.15", AbiKind.GoStack)]
    [InlineData("go1.8", AbiKind.GoStack)]
    [InlineData("go1.17", AbiKind.GoRegs)]
    [InlineData("go1.19.8", AbiKind.GoRegs)]
    [InlineData("go1.26.10", AbiKind.GoRegs)]
    [InlineData("Go cmd/compile go1.16.3", AbiKind.GoStack)]
    [InlineData(null, AbiKind.GoRegs)]
    public void RegisterAbiFromGo117(string? version, AbiKind abi) => Assert.Equal(abi, ProbePlanner.AbiOfVersion(version));
}
