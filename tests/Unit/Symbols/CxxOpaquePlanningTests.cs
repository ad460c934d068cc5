using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>A C++ class one unit only declares is read from the unit that defines it (Dwarf/CxxDefinitions.cs).</summary>
public class CxxOpaquePlanningTests
{
    private static ProbeSpec Plan(string binary, string demangled) => SymbolFixtures.PlanDemangled(binary, demangled);

    // tests/fixtures/cxx/opaque: Widget and shop::Basket have vtables emitted by widget.cpp, so both compilers only
    // declare them in inspect.cpp, whose functions take them by pointer and by reference.
    [Theory]
    [InlineData("g++", "-O0 -g")]
    [InlineData("g++", "-O2 -g")]
    [InlineData(NativeFixtures.ClangXx, "-O0 -g")]
    [InlineData(NativeFixtures.ClangXx, "-O2 -g")]
    public void ADeclaredClass_HasTheFieldsOfItsDefinitionInAnotherUnit(string compiler, string flags)
    {
        var bin = NativeFixtures.BuildCxx("opaque", flags, compiler);

        var inspect = Plan(bin, "inspect");
        var widget = inspect.Params.Single(p => p.Name == "w").Type;
        Assert.Equal(TypeKind.Pointer, widget.Kind);
        Assert.Equal(TypeKind.Struct, widget.Elem?.Kind);
        Assert.Equal("const Widget", widget.Elem?.Name);
        // The vtable pointer at 0, then id, weight and label as the definition lays them out (LP64).
        Assert.Equal(32, widget.Elem?.Size);
        Assert.Equal([("id", 8), ("weight", 16), ("label", 24)],
            widget.Elem!.Fields.Where(f => !f.Name.StartsWith("_vptr", StringComparison.Ordinal)).Select(f => (f.Name, f.Offset)));
        // The pointer is followed: the target's bytes, then the label's text from them.
        Assert.Contains(inspect.Plan.Derefs, d => d.Ptr == Source.Of(Reg.Rdi) && d.MaxLen >= 32);

        var weigh = Plan(bin, "weigh");
        Assert.Equal("const Widget&", weigh.Params[0].Type.Name);
        Assert.Equal("const Widget", weigh.Params[0].Type.Elem?.Name);
        Assert.NotEmpty(weigh.Params[0].Type.Elem!.Fields);

        // A class in a namespace is matched by its qualified name.
        var fill = Plan(bin, "fill");
        var basket = fill.Params.Single(p => p.Name == "b").Type.Elem;
        Assert.Equal(["count", "total"], basket!.Fields.Where(f => !f.Name.StartsWith("_vptr", StringComparison.Ordinal)).Select(f => f.Name));
    }
}
