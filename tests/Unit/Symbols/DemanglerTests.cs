using System.Diagnostics;
using System.Text.RegularExpressions;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>The demangler against GNU c++filt: a table of known pairs, and every mangled function of the fixtures.</summary>
public partial class DemanglerTests
{
    [Theory]
    // Pairs as c++filt (binutils 2.40) prints them; Rust names drop the hash c++filt keeps.
    [InlineData("_Z4bumpRii", "bump(int&, int)")]
    [InlineData("_ZN4calc3addEii", "calc::add(int, int)")]
    [InlineData("_ZN4calc5twiceIiEET_S1_", "int calc::twice<int>(int)")]
    [InlineData("_ZN4calc5twiceIlEET_S1_", "long calc::twice<long>(long)")]
    [InlineData("_ZNK4Shop5totalEi", "Shop::total(int) const")]
    [InlineData("_ZN4text5greetERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEES5_i",
        "text::greet(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&, std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >, int)")]
    [InlineData("_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE12_M_constructIPKcEEvT_S8_St20forward_iterator_tag.isra.0",
        "void std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::_M_construct<char const*>(char const*, char const*, std::forward_iterator_tag) [clone .isra.0]")]
    [InlineData("_ZN3foo3barEi", "foo::bar(int)")]
    [InlineData("_ZN1AC2Ev", "A::A()")]
    [InlineData("_ZN1AD1Ev", "A::~A()")]
    [InlineData("_ZlsRSoRK1A", "operator<<(std::ostream&, A const&)")]
    [InlineData("_Z1fPFviE", "f(void (*)(int))")]
    [InlineData("_ZN12_GLOBAL__N_14helpEv", "(anonymous namespace)::help()")]
    [InlineData("_ZN7fixture3add17h64920146c8b5687cE", "fixture::add")]
    [InlineData("_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$17h6db5b4deb8d27bb4E",
        "core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>")]
    [InlineData("_RNvCs1234_7fixture3add", "fixture::add")]
    // Not mangled, or outside the subset: unchanged.
    [InlineData("main", "main")]
    [InlineData("_Z", "_Z")]
    [InlineData("_Znot-a-name", "_Znot-a-name")]
    public void KnownPairs(string mangled, string demangled) => Assert.Equal(demangled, Demangler.Demangle(mangled));

    [Theory]
    [InlineData("calc::add(int, int)", "calc::add")]
    [InlineData("int calc::twice<int>(int)", "calc::twice<int>")]
    [InlineData("Shop::total(int) const", "Shop::total")]
    [InlineData("(anonymous namespace)::help()", "(anonymous namespace)::help")]
    [InlineData("fixture::add", "fixture::add")]
    public void ShortNameDropsParametersAndReturnType(string full, string shortName) => Assert.Equal(shortName, Demangler.ShortName(full));

    public static TheoryData<string, string> FixtureBinaries => new()
    {
        { "cxx -O0", NativeFixtures.BuildCxx("shop", "-O0 -g") },
        { "cxx -O2", NativeFixtures.BuildCxx("shop", "-O2 -g") },
        { "rust legacy debug", NativeFixtures.BuildRust("fixture", RustOpt.Debug) },
        { "rust legacy release", NativeFixtures.BuildRust("fixture", RustOpt.Release) },
        { "rust v0", NativeFixtures.BuildRust("fixture", RustOpt.Debug, "-C symbol-mangling-version=v0") },
    };

    /// <summary>
    /// Every mangled function symbol of the fixture binaries (their code and the libstdc++ / Rust std code linked in)
    /// demangles to exactly what c++filt prints, minus Rust hashes, or is left mangled; most must demangle.
    /// </summary>
    [Theory]
    [MemberData(nameof(FixtureBinaries))]
    public void EveryFixtureSymbolMatchesCxxFilt(string what, string binary)
    {
        var names = ElfImage.Open(binary).Functions.Select(f => f.Name).Where(Demangler.IsMangled).Distinct().ToList();
        Assert.True(names.Count > 5, what);
        var expected = CxxFilt(names);
        var declined = new List<string>();
        for (var i = 0; i < names.Count; i++)
        {
            var mine = Demangler.Demangle(names[i]);
            if (mine == names[i])
            {
                declined.Add(names[i]);
                continue;
            }
            // c++filt keeps Rust's legacy hash ("::h0123…") and v0 crate disambiguators ("core[4e4b…]"); we drop both.
            var theirs = V0Disambiguator().Replace(LegacyHash().Replace(expected[i], ""), "");
            Assert.True(theirs == mine, $"{what}: {names[i]}\n  c++filt: {theirs}\n  ours:    {mine}");
        }
        Assert.True(declined.Count * 10 < names.Count, $"{what}: {declined.Count} of {names.Count} left mangled, e.g. {string.Join(", ", declined.Take(5))}");
        var own = binary.Contains("rust", StringComparison.Ordinal) ? "fixture::add" : "calc::add(int, int)";
        Assert.Contains(own, names.Select(Demangler.Demangle));
    }

    private static List<string> CxxFilt(IReadOnlyList<string> names)
    {
        var psi = new ProcessStartInfo("c++filt") { RedirectStandardInput = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        foreach (var n in names) p.StandardInput.WriteLine(n);
        p.StandardInput.Close();
        p.WaitForExit();
        var lines = output.Result.Split('\n').Take(names.Count).ToList();
        Assert.Equal(names.Count, lines.Count);
        return lines;
    }

    [GeneratedRegex(@"::h[0-9a-f]{16}$")]
    private static partial Regex LegacyHash();

    [GeneratedRegex(@"\[[0-9a-f]{1,16}\]")]
    private static partial Regex V0Disambiguator();
}
