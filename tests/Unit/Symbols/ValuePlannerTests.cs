using Calltape.Capture.Decoding;
using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Symbols.Planning;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>The value planner's budget and its by-reference entry point, planned and then decoded (no binaries).</summary>
public class ValuePlannerTests
{
    [Fact]
    public void ByReference_StringLikeClass_ChainsItsDataFromTheCopiedObject()
    {
        // A libstdc++ std::string typed as a 32-byte String: {char* _M_p; size_t _M_string_length; ...}, passed by pointer in RDI.
        var stdString = new TypeDesc("std::string", TypeKind.String, 32);
        var derefs = new List<DerefSpec>();
        var planner = new ValuePlanner(derefs, new PlanOptions(64), cStrings: true);
        var node = planner.ByReference(stdString, Source.Of(Reg.Rdi));
        planner.Finish();
        var tree = ValuePlanner.Freeze(node);
        Assert.Equal([new DerefSpec(Source.Of(Reg.Rdi), Source.None, 32), new DerefSpec(Source.InDeref(0, 0), Source.InDeref(0, 8), 64)], derefs);
        Assert.Equal(new ValueSpec(Source.InDeref(0, 0)) { Deref = 1 }, tree);

        var probe = new ProbeSpec(0, "f", 0, 0, 0, 0, AbiKind.SysV, new CapturePlan([Reg.Rdi], 0, derefs),
            [new ParamSpec("s", stdString, [Source.Of(Reg.Rdi)]) { Value = tree }]);
        var obj = new byte[32];
        BitConverter.GetBytes(0x7000UL).CopyTo(obj, 0);
        BitConverter.GetBytes(5UL).CopyTo(obj, 8);
        var ev = new RawEvent(0, 0, 1, 1, [0x6000], null, [new DerefData(obj, 32, 0), new DerefData("hello"u8.ToArray(), 5, 0)]);
        Assert.Equal(new DecodedValue("hello", null), ValueDecoder.Decode(probe, ev)[0]);
    }

    [Fact]
    public void TheBudgetGoesBreadthFirst_AndWhatItMissesIsLeftUnfollowed()
    {
        var str = new TypeDesc("string", TypeKind.String, 16);
        var strings = new TypeDesc("[]string", TypeKind.Slice, 24) { Elem = str };
        var derefs = new List<DerefSpec>();
        var planner = new ValuePlanner(derefs, new PlanOptions(), cStrings: false);
        // Two slices of strings: both slices' elements are copied before any element's string.
        var a = planner.InGoRegisters(strings, [Reg.Rax, Reg.Rbx, Reg.Rcx]);
        var b = planner.InGoRegisters(strings, [Reg.Rdi, Reg.Rsi, Reg.R8]);
        planner.Finish();
        Assert.Equal(ProbePlanner.MaxDerefs, derefs.Count);
        Assert.Equal((0, 1), (ValuePlanner.Freeze(a).Deref, ValuePlanner.Freeze(b).Deref));
        // The six left alternate between the slices' first elements, element by element in queue order.
        Assert.Equal(3, ValuePlanner.Freeze(a).Targets.Count);
        Assert.Equal(3, ValuePlanner.Freeze(b).Targets.Count);
    }
}
