using Calltape.Capture.Model;

namespace Calltape.Capture.Decoding;

/// <summary>A struct's fields, in declaration order (JSON: an object).</summary>
public sealed record StructValue(IReadOnlyList<string> Names, IReadOnlyList<DecodedValue> Values);

/// <summary>A slice (Len and Cap set) or an array (both null) with the elements captured (JSON: {"len","cap","elems"} or an array).</summary>
/// <param name="Missing">Why elements past those in Elems are absent ("truncated at 8 of 20 elements", "depth limit"), or null.</param>
public sealed record ListValue(long? Len, long? Cap, IReadOnlyList<DecodedValue> Elems, string? Missing = null);

/// <summary>A non-nil interface: the dynamic type's name (null when the binary does not name it) and the dynamic value.</summary>
public sealed record InterfaceValue(string? TypeName, DecodedValue Value);

/// <summary>A non-nil map or channel: its length (map count, channel qcount) and, for a channel, its capacity (dataqsiz).</summary>
public sealed record CountValue(DecodedValue Len, DecodedValue? Cap);

/// <summary>The nil of a pointer, interface, map or channel (JSON null).</summary>
public sealed class NilValue
{
    public static readonly NilValue Instance = new();

    private NilValue() { }

    public override string ToString() => "nil";
}

/// <summary>Names the dynamic types of interfaces offline, from the traced binary (the analyzer has it by build-id).</summary>
public interface IDynamicTypes
{
    /// <summary>The Go type whose runtime type descriptor (an <c>interface{}</c>'s first word) is at this address, or null.</summary>
    TypeDesc? TypeAt(ulong address);

    /// <summary>The concrete Go type of the itab (a non-empty interface's first word) at this address, or null.</summary>
    TypeDesc? ItabType(ulong address);
}
