using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>Where the planner reads C++ and Rust arguments: the Itanium C++ ABI over SysV, and rustc's own ABI.</summary>
public class CxxRustPlanningTests
{
    private static ProbeSpec Plan(string binary, string demangled) => SymbolFixtures.PlanDemangled(binary, demangled);

    private static string Pieces(ProbeSpec p, string param) => string.Join(",", p.Params.Single(x => x.Name == param).Pieces);

    // clang++ -O0 describes std::string only as a declaration (its limited debug info omits extern templates), -O2 in
    // full with DW_AT_calling_convention; g++ always in full. Every build must place the arguments the same way.
    [Theory]
    [InlineData("g++", "-O0 -g")]
    [InlineData("g++", "-O2 -g")]
    [InlineData(NativeFixtures.ClangXx, "-O0 -g")]
    [InlineData(NativeFixtures.ClangXx, "-O2 -g")]
    public void Cxx_ThisComesFirst_AndAStringByValueTakesOneRegisterForItsAddress(string compiler, string flags)
    {
        var bin = NativeFixtures.BuildCxx("shop", flags, compiler);
        var total = Plan(bin, "Shop::total");
        Assert.Equal(["this", "count"], total.Params.Select(p => p.Name));
        Assert.Equal(TypeKind.Pointer, total.Params[0].Type.Kind);
        Assert.Equal("rdi", Pieces(total, "this"));
        Assert.Equal("rsi", Pieces(total, "count"));

        // std::string has a user-provided copy constructor and destructor: non-trivial for calls, so by value it is
        // the address of a temporary in RSI (Itanium C++ ABI §3.1.2.3), not 32 bytes on the stack, and times is in RDX.
        var greet = Plan(bin, "text::greet");
        Assert.Equal(["name", "greeting", "times"], greet.Params.Select(p => p.Name));
        Assert.Equal(TypeKind.String, greet.Params[0].Type.Elem?.Kind);
        Assert.Equal(TypeKind.String, greet.Params[1].Type.Kind); // _M_p at 0, _M_string_length at 8 per DWARF or libstdc++'s ABI
        Assert.Equal("rdi", Pieces(greet, "name"));
        Assert.Equal("rsi", Pieces(greet, "greeting"));
        Assert.Equal("rdx", Pieces(greet, "times"));
        Assert.Equal(0, greet.Plan.StackLen);
        // The temporary is copied (32 bytes), then its text through _M_p and _M_string_length in those bytes.
        Assert.Contains(greet.Plan.Derefs, d => d.Ptr == Source.Of(Reg.Rsi) && d.MaxLen == 32);

        // std::wstring: g++ describes it (passed by invisible reference, times in RSI); clang++ -O0 only declares it,
        // so neither its size nor where times is can be known.
        var wide = Plan(bin, "text::wide");
        if (compiler == NativeFixtures.ClangXx && flags.StartsWith("-O0", StringComparison.Ordinal))
        {
            Assert.Contains("only declared in the DWARF", wide.Params[0].NotCaptured);
            Assert.StartsWith("follows ", wide.Params[1].NotCaptured);
            Assert.Empty(wide.Params[1].Pieces);
        }
        else
        {
            Assert.Equal("rdi", Pieces(wide, "w"));
            Assert.Equal("rsi", Pieces(wide, "times"));
        }

        var bump = Plan(bin, "bump");
        Assert.Equal("rdi", Pieces(bump, "counter"));
        Assert.Equal(new TypeDesc("int&", TypeKind.Pointer, 8) { Elem = new TypeDesc("int", TypeKind.Int, 4) }, bump.Params[0].Type);
        Assert.Equal("rsi", Pieces(bump, "by"));
    }

    [Theory]
    [InlineData(RustOpt.Debug)]
    [InlineData(RustOpt.Release)]
    public void Rust_FatPointersArePairs_StringAndVecAreByReference_OptionsArePointersOrPairs(RustOpt opt)
    {
        var bin = NativeFixtures.BuildRust("fixture", opt);
        var add = Plan(bin, "fixture::add");
        Assert.Equal("rdi", Pieces(add, "a"));
        Assert.Equal("rsi", Pieces(add, "b"));

        var greet = Plan(bin, "fixture::greet");
        Assert.Equal(TypeKind.String, greet.Params[0].Type.Kind);
        Assert.Equal("rdi,rsi", Pieces(greet, "name"));
        Assert.Equal("rdx", Pieces(greet, "times"));

        // String is 24 bytes: over two pointers, so passed indirectly; level follows in RSI.
        var shout = Plan(bin, "fixture::shout");
        Assert.Equal("rdi", Pieces(shout, "owned"));
        Assert.Equal(TypeKind.String, shout.Params[0].Type.Kind);
        Assert.Equal("rsi", Pieces(shout, "level"));

        var sum = Plan(bin, "fixture::sum");
        Assert.Equal(TypeKind.Slice, sum.Params[0].Type.Kind);
        Assert.Equal("rdi,rsi", Pieces(sum, "xs"));
        Assert.Contains(sum.Plan.Derefs, d => d.Ptr == Source.Of(Reg.Rdi) && d.Len == Source.Of(Reg.Rsi) && d.Scale == 8);

        // () is not passed; Pair is a ScalarPair (two registers); Small is cast to one integer (one register).
        var shapes = Plan(bin, "fixture::shapes");
        Assert.Equal("zero-sized: not passed", shapes.Params[0].NotCaptured);
        Assert.Equal("rdi,rsi", Pieces(shapes, "p"));
        Assert.Equal("rdx", Pieces(shapes, "s"));
        Assert.Equal("rcx", Pieces(shapes, "last"));

        // Vec<T> is 24 bytes like String: its address in RDI; the copy's pointer and length (offsets from DWARF) then
        // bound the elements, 8 bytes each for i64, 16 (a &str) for Vec<&str>, whose texts follow.
        var total = Plan(bin, "fixture::total");
        Assert.Equal("rdi", Pieces(total, "v"));
        Assert.Equal(TypeKind.Slice, total.Params[0].Type.Kind);
        Assert.Equal(new TypeDesc("i64", TypeKind.Int, 8), total.Params[0].Type.Elem);
        Assert.Equal(new DerefSpec(Source.Of(Reg.Rdi), Source.None, 24), total.Plan.Derefs[0]);
        Assert.Equal(SourceKind.Deref, total.Plan.Derefs[1].Ptr.Kind);
        Assert.Equal(SourceKind.Deref, total.Plan.Derefs[1].Len.Kind);
        Assert.Equal(8, total.Plan.Derefs[1].Scale);
        var words = Plan(bin, "fixture::words");
        Assert.Equal("rdi", Pieces(words, "ws"));
        Assert.Equal("rsi", Pieces(words, "sep"));
        Assert.Equal(TypeKind.String, words.Params[0].Type.Elem?.Kind);
        Assert.Equal(16, words.Plan.Derefs[1].Scale);
        // Vec<String>: each element's text through its own pointer and length, wherever DWARF puts them in the String.
        var owned = Plan(bin, "fixture::owned_words");
        Assert.Equal(TypeKind.String, owned.Params[0].Type.Elem?.Kind);
        Assert.Equal(24, owned.Plan.Derefs[1].Scale);
        var len = owned.Params[0].Type.Elem!.Fields.Single(f => f.Name == "len").Offset;
        Assert.Equal(Source.InDeref(1, 24 + len), owned.Plan.Derefs[3].Len);

        // Option<i64> and Option<u32> have a discriminant of their own: a ScalarPair each (discriminant, value).
        var maybe = Plan(bin, "fixture::maybe");
        Assert.Equal("rdi,rsi", Pieces(maybe, "o"));
        Assert.Equal("rdx,rcx", Pieces(maybe, "p"));
        Assert.Equal(TypeKind.Option, maybe.Params[0].Type.Kind);
        Assert.Equal([0, 8], maybe.Params[0].Type.Fields.Select(f => f.Offset));
        Assert.Equal([0, 4], maybe.Params[1].Type.Fields.Select(f => f.Offset));
        Assert.Equal(new TypeDesc("u32", TypeKind.Uint, 4), maybe.Params[1].Type.Fields[1].Type);

        var pick = Plan(bin, "fixture::pick");
        Assert.Equal(TypeKind.Pointer, pick.Params[0].Type.Kind);
        Assert.Equal("Option<&i64>", pick.Params[0].Type.Name);
        Assert.Equal(new TypeDesc("i64", TypeKind.Int, 8), pick.Params[0].Type.Elem);
        Assert.Equal("rdi", Pieces(pick, "o"));
        Assert.Equal("rsi", Pieces(pick, "fallback"));
    }

    [Theory]
    [InlineData(RustOpt.Debug)]
    [InlineData(RustOpt.Release)]
    public void Rust_EnumsWithADiscriminantAreTagAndVariants_PassedByRustcsRule_NicheOptionsByTheirPayloads(RustOpt opt)
    {
        var bin = NativeFixtures.BuildRust("fixture", opt);

        // The Result<i64, String> result (32 bytes) takes RDI for the caller's buffer; Cmd (32 bytes) is by reference in
        // RSI; Result<(), i32> a ScalarPair (u32 tag, Err's i32 at 4) in RDX and RCX.
        var run = Plan(bin, "fixture::run");
        Assert.Equal("rsi", Pieces(run, "c"));
        Assert.Equal("rdx,rcx", Pieces(run, "code"));
        var cmd = run.Params[0].Type;
        Assert.Equal(TypeKind.Enum, cmd.Kind);
        Assert.Equal(["discriminant", "Quit", "Move", "Say"], cmd.Fields.Select(f => f.Name));
        Assert.Equal([0L, 1L, 2L], cmd.Fields.Skip(1).Select(f => f.Type.Count));
        Assert.Equal(["x", "y"], cmd.Fields[2].Type.Fields.Select(f => f.Name));
        // Say's String is text: its data pointer and length where DWARF places them.
        Assert.Equal(TypeKind.String, cmd.Fields[3].Type.Fields[0].Type.Kind);
        Assert.Equal(new DerefSpec(Source.Of(Reg.Rsi), Source.None, 32), run.Plan.Derefs[0]);
        Assert.Equal(SourceKind.Deref, run.Plan.Derefs[1].Ptr.Kind);
        var code = run.Params[1].Type;
        Assert.Equal(TypeKind.Enum, code.Kind);
        Assert.Equal(new TypeDesc("u32", TypeKind.Uint, 4), code.Fields[0].Type);

        // Result<u32, u64> is a 16-byte aggregate (by reference in rustc 1.63), Result<u8, u32> an 8-byte one (one register);
        // the Result<u32, u64> result comes back through the caller's buffer, whose address is the first argument.
        var widen = Plan(bin, "fixture::widen");
        Assert.Equal("rsi", Pieces(widen, "w"));
        Assert.Equal("rdx", Pieces(widen, "b"));
        Assert.All(widen.Params, p => Assert.Null(p.NotCaptured));

        // Option<String> keeps a niche in the String (no discriminant of its own): an Option whose discriminant is the
        // String's data pointer, passed by address like a String (RustNicheTests has the rest).
        var named = Plan(bin, "fixture::named");
        Assert.Null(named.Params[0].NotCaptured);
        Assert.Equal("rdi", Pieces(named, "o"));
        Assert.Equal(TypeKind.Option, named.Params[0].Type.Kind);
    }
    [Fact]
    public void Rust_EnumsInsideAStruct_AreOfUnknownKind_SoTheirValuesAreMarked_NeverAnEmptyObject()
    {
        var bin = NativeFixtures.BuildRust("nested", RustOpt.Debug);
        var w = Assert.Single(Plan(bin, "nested::take").Params);
        Assert.Null(w.NotCaptured);
        var wrap = w.Type.Elem!;
        Assert.Equal(TypeKind.Int, wrap.Fields.Single(f => f.Name == "id").Type.Kind);
        Assert.Equal(TypeKind.Unknown, wrap.Fields.Single(f => f.Name == "r").Type.Kind);
        Assert.Equal(TypeKind.Unknown, wrap.Fields.Single(f => f.Name == "c").Type.Kind);
    }
}
