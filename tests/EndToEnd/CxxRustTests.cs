using Xunit;
using Calltape.Symbols;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>C++ (g++ and clang++) and Rust (rustc) programs recorded by demangled name: every argument, result and duration matches what they printed.</summary>
public class CxxRustTests
{
    [Theory]
    [InlineData("g++", "-O0 -g")]
    [InlineData("g++", "-O2 -g")]
    [InlineData(NativeFixtures.ClangXx, "-O0 -g")]
    [InlineData(NativeFixtures.ClangXx, "-O2 -g")]
    public void Cxx_EveryCallArgumentAndResultMatchesWhatTheProgramPrinted(string compiler, string flags)
    {
        var bin = NativeFixtures.BuildCxx("shop", flags, compiler);
        var dir = Path.Combine(Repo.NewTempDir("cxx"), "cap.ctape");
        // By demangled name (every overload), by name with its parameter list, and by glob over demangled names.
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "--returns", "-q", "-p", "Shop::total", "-p", "text::greet", "-p", "bump(int&, int)",
            "-p", "calc::*", "--", bin, "6"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var printed = NativeCalls.Parse(r.Stdout);
        Assert.Equal(6 * 6, printed.Count);
        NativeCalls.Compare(dir, printed, (p, captured) => Demangler.ShortName(captured) == p);
    }

    [Theory]
    [InlineData(RustOpt.Debug)]
    [InlineData(RustOpt.Release)]
    public void Rust_EveryCallArgumentAndResultMatchesWhatTheProgramPrinted(RustOpt opt)
    {
        var bin = NativeFixtures.BuildRust("fixture", opt);
        var dir = Path.Combine(Repo.NewTempDir("rust"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "--returns", "-q", "-p", "fixture::add", "-p", "fixture::greet", "-p", "fixture::shout",
            "-p", "fixture::sum", "-p", "fixture::pick", "-p", "fixture::shapes", "-p", "fixture::first_word", "-p", "fixture::inner::*",
            "-p", "fixture::label", "-p", "fixture::make_pair", "-p", "fixture::total", "-p", "fixture::words", "-p", "fixture::evens",
            "-p", "fixture::owned_words",
            "-p", "fixture::maybe", "-p", "fixture::run", "-p", "fixture::check", "-p", "fixture::lookup", "-p", "fixture::widen",
            "-p", "fixture::next_cmd", "-p", "fixture::named", "--", bin, "6"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var printed = NativeCalls.Parse(r.Stdout);
        Assert.Equal(6 * 21, printed.Count);
        NativeCalls.Compare(dir, printed, (p, captured) => captured == p, nullText: "None");

        // An Option of an integer is that integer's SQL column in the function's table, NULL for None.
        var maybe = printed.Where(p => p.Function == "fixture::maybe").ToList();
        var rows = E2E.QueryCsv(dir, "SELECT typeof(o), typeof(p), coalesce(o::VARCHAR, 'None'), coalesce(p::VARCHAR, 'None') FROM \"fixture::maybe\" ORDER BY ts");
        Assert.Equal(maybe.Select(p => $"BIGINT UBIGINT {p.Fields["o"]} {p.Fields["p"]}"), rows.Select(x => string.Join(' ', x)));

        // An enum is JSON text in its column; an Option of a string (niche-encoded) is the text, NULL for None.
        var run = E2E.QueryCsv(dir, "SELECT DISTINCT typeof(c), typeof(code) FROM \"fixture::run\"");
        Assert.Equal("VARCHAR VARCHAR", string.Join(' ', Assert.Single(run)));
        var named = E2E.QueryCsv(dir, "SELECT typeof(o), coalesce(o, 'None') FROM \"fixture::named\" ORDER BY ts");
        Assert.Equal(printed.Where(p => p.Function == "fixture::named").Select(p => $"VARCHAR {p.Fields["o"]}"), named.Select(x => string.Join(' ', x)));
        Assert.Contains(named, x => x[1] == "None");
    }

    /// <summary>Niche-encoded enums (tests/fixtures/rust/niche.rs): Option&lt;String&gt;, Option&lt;Box&lt;i64&gt;&gt;,
    /// Option&lt;Vec&lt;i64&gt;&gt;, Option&lt;&amp;str&gt;, Option&lt;&amp;[i64]&gt;, Option&lt;bool&gt;, Result&lt;(), String&gt; and user enums as arguments, each followed by one more argument, and as
    /// results: every value and every argument after them as printed.</summary>
    [Theory]
    [InlineData(RustOpt.Debug)]
    [InlineData(RustOpt.Release)]
    public void RustNiche_EveryOptionAndEnumAndTheArgumentsAfterThemMatchWhatTheProgramPrinted(RustOpt opt)
    {
        var bin = NativeFixtures.BuildRust("niche", opt);
        var dir = Path.Combine(Repo.NewTempDir("rust-niche"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "--returns", "-q", "-p", "niche::text", "-p", "niche::boxed", "-p", "niche::items",
            "-p", "niche::word", "-p", "niche::nums", "-p", "niche::shape", "-p", "niche::small", "-p", "niche::flags", "-p", "niche::status", "-p", "niche::make_status", "-p", "niche::make_text", "-p", "niche::make_box",
            // By name, not niche::make_*: that glob also matches make_items's closure in the debug build.
            "-p", "niche::make_items", "-p", "niche::make_tri", "-p", "niche::make_word", "-p", "niche::make_shape", "--", bin, "6"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var printed = NativeCalls.Parse(r.Stdout);
        Assert.Equal(6 * 16, printed.Count);
        NativeCalls.Compare(dir, printed, (p, captured) => captured == p, nullText: "None");
        // Nothing is marked: every niche shape the fixture passes is modeled.
        var marked = E2E.QueryCsv(dir, "SELECT count(*) FROM calls WHERE args LIKE '%not_captured%' OR ret LIKE '%not_captured%'");
        Assert.Equal("0", Assert.Single(Assert.Single(marked)));
    }
}
