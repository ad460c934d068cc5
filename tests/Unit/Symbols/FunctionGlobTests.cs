using Calltape.Capture;
using Calltape.Recorder.Planning;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

public class FunctionGlobTests
{
    [Theory]
    [InlineData("main.*", "main.record", true)]
    [InlineData("main.*", "main", false)]
    [InlineData("main.*", "runtime.main", false)]
    [InlineData("net/http.(*conn).*", "net/http.(*conn).serve", true)]
    [InlineData("net/http.(*conn).*", "net/http.(*connReader).Read", false)]
    [InlineData("f_??", "f_12", true)]
    [InlineData("f_??", "f_123", false)]
    [InlineData("*", "", true)]
    [InlineData("a*b*c", "aXbYbZc", true)]
    [InlineData("a*b*c", "aXbYbZ", false)]
    [InlineData("*ab", "aab", true)]
    public void ShellStyleMatch(string pattern, string name, bool expected) => Assert.Equal(expected, FunctionGlob.Matches(pattern, name));

    [Fact]
    public void GoGlobSelectsTheMainPackageOnly()
    {
        var elf = ElfImage.Open(Fixtures.BuildGo("abimix", GoToolchain.Go126));
        var matched = FunctionGlob.Match(elf.Functions, "main.*");
        Assert.Contains(matched, f => f.Name == "main.many");
        Assert.Contains(matched, f => f.Name == "main.(*Point).Move");
        Assert.All(matched, f => Assert.StartsWith("main.", f.Name));
        Assert.Equal(matched.Count, matched.Select(f => f.Address).Distinct().Count());
        // An exact name with '*' in it is that function, not a pattern.
        Assert.Equal(["main.(*Point).Move"], FunctionGlob.Match(elf.Functions, "main.(*Point).Move").Select(f => f.Name));
    }

    [Fact]
    public void ResolverExpandsGlobsAndRefusesMoreThanTheMapsHold()
    {
        var few = CFixtures.BuildMany("gl", 300);
        var (_, probes) = ProbeResolver.Resolve(few, ["gl_*", "gl_0007"], new PlanOptions());
        Assert.Equal(300, probes.Count); // the exact name repeats a glob match: probed once
        Assert.Equal(Enumerable.Range(0, 300), probes.Select(p => p.Id));

        var none = Assert.Throws<CalltapeException>(() => ProbeResolver.Resolve(few, ["gx_*"], new PlanOptions()));
        Assert.StartsWith("no function matches 'gx_*' in ", none.Message);
        Assert.Equal(ExitCodes.NotFound, none.ExitCode);

        var many = CFixtures.BuildMany("big", 4100);
        var e = Assert.Throws<CalltapeException>(() => ProbeResolver.Resolve(many, ["big_*"], new PlanOptions()));
        Assert.Contains("the limit is 4096", e.Message);
    }
}
