using Calltape.Analyzer.Replay;
using Calltape.Capture.Decoding;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>Replay prints composite values the way Go's %+v reads: fields, elements, dynamic types, lengths, nil.</summary>
public class CompositeValueTextTests
{
    private static DecodedValue V(object? v) => new(v, null);

    [Fact]
    public void StructsSlicesInterfacesMapsChannelsAndNil()
    {
        var order = new StructValue(["ID", "Name", "Tags", "Next"],
            [V(7L), V("a b"), V(new ListValue(3, 4, [V("x"), DecodedValue.Missing("depth limit")], "truncated at 2 of 3 elements")), V(NilValue.Instance)]);
        Assert.Equal("{ID:7 Name:\"a b\" Tags:len=3 cap=4 [\"x\" <depth limit> ...<truncated at 2 of 3 elements>] Next:nil}", ValueText.Value(V(order)));
        Assert.Equal("[1 2]", ValueText.Value(V(new ListValue(null, null, [V(1L), V(2L)]))));
        Assert.Equal("*main.E({Code:3})", ValueText.Value(V(new InterfaceValue("*main.E", V(new StructValue(["Code"], [V(3L)]))))));
        Assert.Equal("{len=2}", ValueText.Value(V(new CountValue(V(2L), null))));
        Assert.Equal("{len=1 cap=5}", ValueText.Value(V(new CountValue(V(1L), V(5L)))));
        Assert.Equal("0.125", ValueText.Value(V(0.125)));
    }
}
