using Calltape.Capture.Model;

namespace Calltape.Symbols.Planning;

/// <summary>Plans the value trees (<see cref="ValueSpec"/>) of a probe's composite parameters and the dereferences they
/// need, within the plan's dereference budget.</summary>
/// <remarks>
/// Building a tree only records what to follow; <see cref="Finish"/> then spends the budget breadth-first: every
/// parameter's first pointer, string or slice before anything they point to, and slice elements after their siblings.
/// Whatever the budget does not reach stays unfollowed: a pointer shows its address, a string or slice elements
/// "depth limit". Create one per probe, add every parameter, call Finish, then Freeze each node.
/// </remarks>
internal sealed class ValuePlanner(List<DerefSpec> derefs, PlanOptions options, bool cStrings)
{
    /// <summary>A value tree while it is being planned; <see cref="Freeze"/> turns it into a ValueSpec.</summary>
    internal sealed class Node(Source at)
    {
        public Source At { get; } = at;
        public int RegOffset { get; init; }
        public List<Node> Parts { get; } = [];
        public int Deref { get; set; } = -1;
        public List<Node> Targets { get; } = [];
        public string? NotCaptured { get; init; }
        public int TypeDeref { get; set; } = -1;
    }

    private const int MaxLevel = 4;              // pointer hops followed at most (TypeBuilder.PointerDepth bounds it too)
    private const int MaxArrayParts = 16;        // arrays with more elements are read from memory without following
    private const int InterfaceValueBytes = 64;  // bytes copied of an interface's dynamic value (its size is unknown when planning)
    private readonly PriorityQueue<Action, (int Level, int Element, int Seq)> _pending = new(); // nearest first, then earliest asked
    private int _seq;

    private bool Budget => derefs.Count < ProbePlanner.MaxDerefs;

    /// <summary>A value the Go register ABI assigned to <paramref name="regs"/> (in assignment order), field by field.</summary>
    public Node InGoRegisters(TypeDesc t, IReadOnlyList<Reg> regs)
    {
        var next = 0;
        return GoRegs(t, regs, ref next);
    }

    /// <summary>A value laid out in memory at <paramref name="at"/> (the stack window, or an earlier dereference's bytes).</summary>
    public Node InMemory(TypeDesc t, Source at) => Memory(t, at, 0, 0);

    /// <summary>A C aggregate passed in eightbytes (psABI §3.2.3): INTEGER ones in <paramref name="ints"/> in order, SSE ones unreadable.</summary>
    public Node InSysVRegisters(TypeDesc t, IReadOnlyList<Reg> ints)
    {
        var classes = SysVAbi.Classify(t) ?? [];
        var regs = new Reg?[classes.Length];
        var k = 0;
        for (var e = 0; e < classes.Length; e++) regs[e] = !classes[e] && k < ints.Count ? ints[k++] : null;
        return SysV(t, 0, regs);
    }

    /// <summary>
    /// A value passed by invisible reference: its address is in <paramref name="pointer"/> (C++ classes that are not
    /// trivially copyable, psABI §3.2.3 and the Itanium C++ ABI §3.1.2; a value a language passes by pointer). The
    /// value's bytes are copied now, so its own follows (a std::string typed as a String of 32 bytes: the data at
    /// bytes 0 and 8) chain from them.
    /// </summary>
    public Node ByReference(TypeDesc t, Source pointer)
    {
        if (t.Size <= 0 || Add(new DerefSpec(pointer, Source.None, Math.Min(t.Size, ProbePlanner.MaxDerefLength))) is not { } d)
            return new Node(Source.None) { NotCaptured = t.Size <= 0 ? $"type {t.Name} is not decoded yet" : "depth limit" };
        return Memory(t, Source.InDeref(d, 0), 1, 0);
    }

    /// <summary>A {pointer, length} slice (a Rust &amp;[T] or Vec&lt;T&gt;) whose two words are wherever <paramref name="ptr"/> and
    /// <paramref name="len"/> say: its elements, and what they hold, followed like a Go slice's.</summary>
    public Node SliceOf(TypeDesc t, Source ptr, Source len)
    {
        var n = new Node(Source.None);
        n.Parts.Add(new Node(ptr));
        n.Parts.Add(new Node(len));
        Follow(n, t, ptr, 0, 0, len);
        return n;
    }

    /// <summary>Spends the dereference budget on what the trees asked to follow, nearest first.</summary>
    public void Finish()
    {
        while (_pending.TryDequeue(out var follow, out _)) follow();
    }

    /// <summary>The finished tree; parts and targets that follow nothing are left to be read from memory.</summary>
    public static ValueSpec Freeze(Node n)
    {
        var parts = n.Parts.Select(Freeze).ToArray();
        var targets = n.Targets.Select(Freeze).ToList();
        while (targets.Count > 0 && Plain(targets[^1])) targets.RemoveAt(targets.Count - 1);
        // Memory parts at their own offsets say nothing the type's layout does not (TreeDecoder reads At + offset).
        if (n.At.IsMemory && parts.All(Plain)) parts = [];
        return new ValueSpec(n.At)
        {
            RegOffset = n.RegOffset, Parts = parts, Deref = n.Deref, Targets = targets.ToArray(), NotCaptured = n.NotCaptured, TypeDeref = n.TypeDeref,
        };
    }

    private static bool Plain(ValueSpec v) =>
        v.At.IsMemory && v.Deref < 0 && v.TypeDeref < 0 && v.NotCaptured is null && v.Targets.Count == 0 && v.Parts.Count == 0;

    private Node GoRegs(TypeDesc t, IReadOnlyList<Reg> regs, ref int next)
    {
        // The same walk as GoRegisterAbi.TryRegisters (abi-internal.md, "Function call argument and result passing").
        switch (t.Kind)
        {
            case TypeKind.Float:
                return new Node(Source.None) { NotCaptured = "float register" };
            case TypeKind.Bool or TypeKind.Int or TypeKind.Uint or TypeKind.Func or TypeKind.Pointer or TypeKind.Map or TypeKind.Chan:
            {
                var r = Take(regs, ref next);
                var n = new Node(r);
                Follow(n, t, r, 0, 0);
                return n;
            }
            case TypeKind.String or TypeKind.Slice or TypeKind.Interface:
            {
                var n = new Node(Source.None);
                var words = t.Kind == TypeKind.Slice ? 3 : 2;
                for (var i = 0; i < words; i++) n.Parts.Add(new Node(Take(regs, ref next)));
                Follow(n, t, n.Parts[0].At, 0, 0, n.Parts[1].At);
                return n;
            }
            case TypeKind.Array:
            {
                var n = new Node(Source.None);
                if (t.Count == 1 && t.Elem is not null) n.Parts.Add(GoRegs(t.Elem, regs, ref next));
                return n;
            }
            case TypeKind.Struct:
            {
                var n = new Node(Source.None);
                foreach (var f in t.Fields) n.Parts.Add(GoRegs(f.Type, regs, ref next));
                return n;
            }
            default:
                return new Node(Source.None) { NotCaptured = $"type {t.Name} is not decoded yet" };
        }
    }

    private static Source Take(IReadOnlyList<Reg> regs, ref int next) => next < regs.Count ? Source.Of(regs[next++]) : Source.None;

    private Node SysV(TypeDesc t, int offset, Reg?[] regs)
    {
        switch (t.Kind)
        {
            case TypeKind.Struct:
            {
                var n = new Node(Source.None);
                foreach (var f in t.Fields) n.Parts.Add(SysV(f.Type, offset + f.Offset, regs));
                return n;
            }
            case TypeKind.Array when t.Elem is not null:
            {
                var n = new Node(Source.None);
                for (var i = 0; i < t.Count; i++) n.Parts.Add(SysV(t.Elem, offset + i * t.Elem.Size, regs));
                return n;
            }
            default:
            {
                var e = offset / 8;
                if (e >= regs.Length || regs[e] is not { } r)
                    return new Node(Source.None) { NotCaptured = t.Kind == TypeKind.Float ? "float register" : "not in a register" };
                var n = new Node(Source.Of(r)) { RegOffset = offset % 8 };
                if (offset % 8 == 0) Follow(n, t, n.At, 0, 0);
                return n;
            }
        }
    }

    private Node Memory(TypeDesc t, Source at, int level, int element)
    {
        switch (t.Kind)
        {
            case TypeKind.String or TypeKind.Slice when t.Fields is [{ Name: "ptr" } p, { Name: "len" } l]:
            {
                // A string or slice whose words are elsewhere than 0 and 8 (a Rust String, RustAbi.VecLayout; a Vec as the
                // slice of its elements, RustAbi.TextPayload): the parts say where DWARF placed them.
                var n = new Node(Source.None);
                n.Parts.Add(new Node(at.Plus(p.Offset)));
                n.Parts.Add(new Node(at.Plus(l.Offset)));
                Follow(n, t, at.Plus(p.Offset), level, element, at.Plus(l.Offset));
                return n;
            }
            case TypeKind.String or TypeKind.Slice or TypeKind.Interface:
            {
                var n = new Node(at);
                Follow(n, t, at, level, element, at.Plus(8));
                return n;
            }
            // An enum's parts are its discriminant and each variant's payload (TreeDecoder reads only the one the
            // discriminant names); what an inactive variant's bytes would point to is followed but never decoded. An
            // option's are its discriminant and its value (a niche-encoded Option<String>'s text is followed so).
            case TypeKind.Struct or TypeKind.Enum or TypeKind.Option:
            {
                var n = new Node(at);
                foreach (var f in t.Fields) n.Parts.Add(Memory(f.Type, at.Plus(f.Offset), level, element));
                return n;
            }
            case TypeKind.Array when t.Elem is not null && t.Count <= MaxArrayParts:
            {
                var n = new Node(at);
                for (var i = 0; i < t.Count; i++) n.Parts.Add(Memory(t.Elem, at.Plus((int)(i * t.Elem.Size)), level, element));
                return n;
            }
            default:
            {
                var n = new Node(at);
                if (t.Kind is TypeKind.Pointer or TypeKind.Map or TypeKind.Chan) Follow(n, t, at, level, element);
                return n;
            }
        }
    }

    /// <summary>Queues what a pointer-like value points to. <paramref name="second"/> is its second word (a length, or an interface's data).</summary>
    private void Follow(Node n, TypeDesc t, Source ptr, int level, int element, Source second = default)
    {
        if (ptr.Kind == SourceKind.None || level >= MaxLevel) return;
        switch (t.Kind)
        {
            case TypeKind.String:
                Later(level, element, () =>
                {
                    if (Add(new DerefSpec(ptr, second, Math.Clamp(options.StringMax, 0, ProbePlanner.MaxDerefLength))) is { } d) n.Deref = d;
                });
                break;
            case TypeKind.Slice when t.Elem is { Size: > 0 and <= 255 } elem:
                Later(level, element, () =>
                {
                    var max = ProbePlanner.MaxDerefLength / elem.Size * elem.Size;
                    if (Add(new DerefSpec(ptr, second, max, Scale: elem.Size)) is not { } d) return;
                    n.Deref = d;
                    // Each element that holds pointers may take dereferences of its own, after every sibling's, and
                    // element i of every slice at this depth before element i + 1 of any.
                    for (var i = 0; i < max / elem.Size && i < ProbePlanner.MaxDerefs && NeedsFollow(elem); i++)
                        n.Targets.Add(Memory(elem, Source.InDeref(d, i * elem.Size), level + 1, i + 1));
                });
                break;
            case TypeKind.Interface:
                Later(level, element, () =>
                {
                    if (Add(new DerefSpec(second, Source.None, InterfaceValueBytes)) is not { } d) return;
                    n.Deref = d;
                    // An itab the runtime built (a type assertion to this interface) is not in the file, so its type
                    // word (itab+8, internal/abi.ITab.Type) is what names the dynamic type; the probe reads it only when
                    // the itab lies outside the binary, so a compiler-built itab costs one comparison (bpf/calltape.h).
                    if (!t.IsEmptyInterface)
                        Later(level + 1, 0, () =>
                        {
                            if (Add(new DerefSpec(ptr, Source.None, 8, Offset: 8, OutsideImage: true)) is { } k) n.TypeDeref = k;
                        });
                    // The dynamic type is known only offline; a string header in the first two words of the dynamic
                    // value (a boxed string, errors.errorString, a struct {code; msg}) is the follow worth guessing,
                    // last. The decoder uses one only where the dynamic type has a string at that offset.
                    foreach (var at in new[] { 0, 8 })
                        Later(level + 1, 1, () =>
                        {
                            var k = Add(new DerefSpec(Source.InDeref(d, at), Source.InDeref(d, at + 8), Math.Clamp(options.StringMax, 0, ProbePlanner.MaxDerefLength)));
                            if (k is not null) n.Targets.Add(new Node(Source.InDeref(d, at)) { Deref = k.Value });
                        });
                });
                break;
            case TypeKind.Map or TypeKind.Chan when LengthOffset(t) is { } offset:
                // The length word(s) copied from their offset in the header: TreeDecoder reads the length at byte 0 of
                // the copy and, for a channel, the capacity at byte 8.
                Later(level, element, () =>
                {
                    if (Add(new DerefSpec(ptr, Source.None, t.Kind == TypeKind.Chan ? 16 : 8, Offset: offset)) is { } d) n.Deref = d;
                });
                break;
            case TypeKind.Pointer when cStrings && CString.Is(t):
                Later(level, element, () =>
                {
                    if (Add(CString.Deref(ptr, options.StringMax)) is { } d) n.Deref = d;
                });
                break;
            case TypeKind.Pointer when Followable(t.Elem):
                Later(level, element, () =>
                {
                    var elem = t.Elem!;
                    if (Add(new DerefSpec(ptr, Source.None, Math.Min(elem.Size, ProbePlanner.MaxDerefLength))) is not { } d) return;
                    n.Deref = d;
                    n.Targets.Add(Memory(elem, Source.InDeref(d, 0), level + 1, element));
                });
                break;
        }
    }

    /// <summary>
    /// Where a map's count or a channel's {qcount, dataqsiz} sit in the header it points to, from DWARF
    /// (TypeBuilder.Header); without DWARF's word, the first word(s), where every Go release so far keeps them
    /// (runtime/map.go hmap.count, internal/runtime/maps Map.used, runtime/chan.go hchan); null if they are not adjacent.
    /// </summary>
    private static int? LengthOffset(TypeDesc t)
    {
        var fields = t.Elem?.Fields ?? [];
        if (t.Kind == TypeKind.Map) return fields.FirstOrDefault(f => f.Name is "count" or "used")?.Offset ?? 0;
        var q = fields.FirstOrDefault(f => f.Name == "qcount");
        var c = fields.FirstOrDefault(f => f.Name == "dataqsiz");
        if (q is null || c is null) return fields.Count == 0 ? 0 : null;
        return c.Offset == q.Offset + 8 ? q.Offset : null;
    }

    /// <summary>A pointer target worth copying: a known type with a size, and a struct only when its fields are known.</summary>
    private static bool Followable(TypeDesc? elem) =>
        elem is not null && elem.Size > 0 && elem.Kind is not (TypeKind.Unknown or TypeKind.Func)
        && (elem.Kind is not (TypeKind.Struct or TypeKind.Enum) || elem.Fields.Count > 0)
        && (elem.Kind != TypeKind.Array || elem.Elem is not null);

    /// <summary>True when a value holds something a dereference could follow.</summary>
    private static bool NeedsFollow(TypeDesc t) => t.Kind switch
    {
        TypeKind.String or TypeKind.Slice or TypeKind.Interface or TypeKind.Map or TypeKind.Chan => true,
        TypeKind.Pointer => Followable(t.Elem),
        TypeKind.Struct or TypeKind.Enum => t.Fields.Any(f => NeedsFollow(f.Type)),
        TypeKind.Array => t.Elem is not null && t.Count <= MaxArrayParts && NeedsFollow(t.Elem),
        _ => false,
    };

    /// <param name="element">0 outside slice elements; i + 1 for what element i of a slice holds (and the interface guesses).</param>
    private void Later(int level, int element, Action follow) => _pending.Enqueue(follow, (level, element, _seq++));

    private int? Add(DerefSpec d)
    {
        if (!Budget) return null;
        derefs.Add(d);
        return derefs.Count - 1;
    }
}
