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
