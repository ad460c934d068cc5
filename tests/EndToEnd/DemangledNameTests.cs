using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>-p by demangled C++ and Rust names: errors and suggestions speak the names people write.</summary>
public class DemangledNameTests
{
    [Fact]
    public void AMisspelledDemangledName_IsOneLineWithSuggestions()
    {
        var bin = NativeFixtures.BuildCxx("shop", "-O0 -g");
        var dir = Path.Combine(Repo.NewTempDir("cxx-typo"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-q", "-p", "Shop::totl", "--", bin, "1"]);
        Assert.NotEqual(0, r.ExitCode);
        E2E.NoStackTrace(r);
        Assert.Contains("no function 'Shop::totl'", r.Stderr);
        Assert.Contains("Shop::total", r.Stderr);
    }
}
