namespace Calltape.Capture.Model;

/// <summary>How one value (a parameter, a field, an element, a pointee) is rebuilt from a record.</summary>
/// <remarks>
/// A tree walked together with the value's <see cref="TypeDesc"/> (the type is never repeated here):
/// <list type="bullet">
/// <item><b>At</b>: where the value starts. A register holds one word (or, SysV, several small fields: RegOffset);
/// memory (the stack window, or the bytes of a dereference) holds the value laid out as in the program.</item>
/// <item><b>Parts</b>: the value's components when they are not contiguous memory (Go's register ABI splits a struct
/// field by field): a struct has one per field, an array one per element, a string [ptr, len], a slice
/// [ptr, len, cap], an interface [type or itab, data]. Empty: the components are read from memory at At + their
/// offset, or the value is one register.</item>
/// <item><b>Deref</b>: the plan dereference holding what the value points to (string bytes, slice elements, the target
/// of a pointer, the header of a map or channel, the dynamic value of an interface), or -1 (not followed: depth or
/// budget limit).</item>
/// <item><b>Targets</b>: specs inside those pointed-to bytes that need their own dereferences (a pointer target's
/// string field, a slice element's string): for a pointer the target (at Deref+0); for a slice the first elements;
/// for an interface, optionally a string header at the start of the dynamic value. Anything without a spec is read
/// from memory and any pointer-like inside it is not followed.</item>
/// </list>
/// A planner adds a chained dereference by reading the pointer from memory it already has: e.g. for a string field at
/// byte 8 of a pointer's target held in dereference 0, <c>new DerefSpec(Source.InDeref(0, 8), Source.InDeref(0, 16), max)</c>.
/// </remarks>
/// <param name="At">Where the value (or its first word) is.</param>
public sealed record ValueSpec(Source At)
{
    /// <summary>For a register At: the value's first byte within the register (SysV packs small fields into one eightbyte).</summary>
    public int RegOffset { get; init; }

    /// <summary>The components, when not contiguous in memory; see the type summary.</summary>
    public IReadOnlyList<ValueSpec> Parts { get; init; } = [];

    /// <summary>The plan dereference holding the pointed-to bytes, or -1.</summary>
    public int Deref { get; init; } = -1;

    /// <summary>Specs inside the pointed-to bytes that carry dereferences of their own; see the type summary.</summary>
    public IReadOnlyList<ValueSpec> Targets { get; init; } = [];

    /// <summary>Why this value is never available (float register, depth limit), or null.</summary>
    public string? NotCaptured { get; init; }

    /// <summary>For a non-empty Go interface, the plan dereference holding its itab's type word (8 bytes at itab+8), read
    /// only when the itab lies outside the binary (one the runtime built: DerefSpec.OutsideImage); else -1.</summary>
    public int TypeDeref { get; init; } = -1;

    /// <summary>Structural equality: the same sources, dereferences and reasons throughout the tree.</summary>
    public bool Equals(ValueSpec? other) =>
        other is not null && At == other.At && RegOffset == other.RegOffset && Deref == other.Deref && NotCaptured == other.NotCaptured
        && TypeDeref == other.TypeDeref && Parts.SequenceEqual(other.Parts) && Targets.SequenceEqual(other.Targets);

    public override int GetHashCode() => HashCode.Combine(At, RegOffset, Deref, NotCaptured, Parts.Count, Targets.Count);

    /// <summary>A value read from memory or one register, with nothing followed.</summary>
    public static ValueSpec Leaf(Source at) => new(at);

    /// <summary>A value that is never captured.</summary>
    public static ValueSpec Missing(string reason) => new(Source.None) { NotCaptured = reason };

    /// <summary>Every dereference the tree reads, including those its sources read from.</summary>
    public IEnumerable<int> UsedDerefs()
    {
        if (At.Kind == SourceKind.Deref) yield return At.Deref;
        if (Deref >= 0) yield return Deref;
        if (TypeDeref >= 0) yield return TypeDeref;
        foreach (var p in Parts)
            foreach (var d in p.UsedDerefs()) yield return d;
        foreach (var p in Targets)
            foreach (var d in p.UsedDerefs()) yield return d;
    }

    /// <summary>The tree with every dereference index mapped (redaction drops dereferences and renumbers the rest).</summary>
    public ValueSpec Renumber(Func<int, int> map) => this with
    {
        At = At.Kind == SourceKind.Deref ? At with { Deref = map(At.Deref) } : At,
        Deref = Deref >= 0 ? map(Deref) : -1,
        TypeDeref = TypeDeref >= 0 ? map(TypeDeref) : -1,
        Parts = Parts.Select(p => p.Renumber(map)).ToArray(),
        Targets = Targets.Select(p => p.Renumber(map)).ToArray(),
    };
}
