using Xunit;
using Calltape.Symbols;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>C++ classes a unit only declares, followed through pointers and references with the layout another unit defines.</summary>
public class CxxOpaqueTests
{
    // tests/fixtures/cxx/opaque: inspect.cpp's functions take Widget and shop::Basket, which only widget.cpp describes.
    [Theory]
    [InlineData("g++", "-O0 -g")]
    [InlineData("g++", "-O2 -g")]
    [InlineData(NativeFixtures.ClangXx, "-O0 -g")]
    [InlineData(NativeFixtures.ClangXx, "-O2 -g")]
    public void MembersBehindAPointerToADeclaredClass_MatchWhatTheProgramPrinted(string compiler, string flags)
    {
        var bin = NativeFixtures.BuildCxx("opaque", flags, compiler);
        var dir = Path.Combine(Repo.NewTempDir("opaque"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "--returns", "-q", "-p", "inspect", "-p", "weigh", "-p", "fill", "--", bin, "5"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var printed = NativeCalls.Parse(r.Stdout);
        Assert.Equal(5 * 3, printed.Count);
        // Every printed member (w.id, w.label, b.total...) is compared with the decoded pointer target.
        NativeCalls.Compare(dir, printed, (p, captured) => Demangler.ShortName(captured) == p);
    }
}
