using Calltape.Capture.Model;

namespace Calltape.Symbols.Planning;

/// <summary>
/// Value trees for what C++ and Rust pass differently from C: values passed by address (Rust aggregates over 8 bytes,
/// C++ classes non-trivial for calls), Rust's two-register pairs and cast-to-integer aggregates, and references.
/// </summary>
/// <remarks>
/// Built on <see cref="ValuePlanner"/>'s trees (ValueSpec): a value passed by address is copied by one dereference of
/// its pointer and then read from those bytes; a Rust String's data pointer and length sit where DWARF places them in
/// String { vec: Vec&lt;u8&gt; { buf: RawVec { ptr, cap }, len } } (rustc reorders fields, so offsets come from DWARF).
/// </remarks>
internal static class NativeValues
{
    /// <summary>A plan for one parameter, or null when the generic planner handles it.</summary>
    public static (ParamSpec, ValuePlanner.Node?)? TryPlan(string name, ParamInfo param, RustArg? rust, ArgLocation loc, int stackAdjust,
        List<DerefSpec> derefs, ValuePlanner values, PlanOptions options)
    {
        if (param.PassedByReference || rust is { Indirect: true })
        {
            var address = Word(loc, 0, stackAdjust);
            return address is { } a ? Indirect(name, param.Type, a, derefs, values, options)
                : (new ParamSpec(name, param.Type, [], NotCaptured: "beyond the stack window"), null);
        }
        if (rust is null || loc.OnStack) return null;
        var t = rust.Type;
        if (t.Kind == TypeKind.Slice && loc.IntRegs.Count == 2) return SliceInRegisters(name, t, loc.IntRegs[0], loc.IntRegs[1], derefs, options);
        if (t.Kind is TypeKind.Struct or TypeKind.Option or TypeKind.Enum && t.Fields.Count > 0 && loc.IntRegs.Count + loc.FloatRegs > 0)
            return (new ParamSpec(name, t, loc.IntRegs.Select(Source.Of).ToArray()), StructNode(t, loc, derefs, options));
        return null;
    }

    /// <summary>True for references the planner follows to their target: C++ T&amp; (always a live object) and Rust &amp;T and Option&lt;&amp;T&gt;.</summary>
    public static bool FollowsReference(TypeDesc t) =>
        t.Kind == TypeKind.Pointer && t.Elem is { Size: > 0 } e && e.Kind != TypeKind.Unknown && (CxxAbi.IsReference(t) || RustAbi.IsReference(t));

    private static Source? Word(ArgLocation loc, int index, int stackAdjust)
    {
        if (!loc.OnStack) return index < loc.IntRegs.Count ? Source.Of(loc.IntRegs[index]) : null;
        var at = stackAdjust + 8 + loc.StackOffset + 8 * index;
        return at + 8 <= ProbePlanner.MaxStackWindow ? Source.StackAt((int)at) : null;
    }

    /// <summary>A Rust result returned in memory: the caller's buffer, whose address the callee hands back in RAX (LLVM
    /// returns the sret pointer in RAX on x86-64 for every calling convention, as the psABI §3.2.3 asks of C).</summary>
    public static (ParamSpec, ValuePlanner.Node?) ReturnedInMemory(string name, TypeDesc t, List<DerefSpec> derefs,
        ValuePlanner values, PlanOptions options) =>
        t.Size > ProbePlanner.MaxDerefLength
            ? (new ParamSpec(name, t, [], NotCaptured: $"returned in memory beyond {ProbePlanner.MaxDerefLength} bytes"), null)
            : Indirect(name, t, Source.Of(Reg.Rax), derefs, values, options);

    /// <summary>A Rust struct result in RAX (and RDX): its fields from those registers, as for an argument.</summary>
    public static (ParamSpec, ValuePlanner.Node?) StructInRegisters(string name, TypeDesc t, IReadOnlyList<Reg> regs, List<DerefSpec> derefs,
        PlanOptions options)
    {
        var loc = ArgLocation.InRegisters(regs, 0);
        return (new ParamSpec(name, t, regs.Select(Source.Of).ToArray()), StructNode(t, loc, derefs, options));
    }

    /// <summary>A value the caller placed in memory, passed as its address: copy its bytes, then read it there
    /// (<see cref="ValuePlanner.ByReference"/>; a Rust String's words are not where a Go-layout string's are).</summary>
    private static (ParamSpec, ValuePlanner.Node?) Indirect(string name, TypeDesc t, Source address, List<DerefSpec> derefs,
        ValuePlanner values, PlanOptions options)
    {
        if (RustAbi.VecLayout(t) is { } vec) return Vec(name, t, vec, address, derefs, values);
        if (RustAbi.StringLayout(t) is not { } layout) return (new ParamSpec(name, t, [address]), values.ByReference(t, address));
        if (derefs.Count >= ProbePlanner.MaxDerefs)
            return (new ParamSpec(name, t, [], NotCaptured: $"passed by reference; deref limit ({ProbePlanner.MaxDerefs})"), null);
        // A Rust String: copy its 24 bytes, then the text at the data pointer, as many bytes as its len says.
        derefs.Add(new DerefSpec(address, Source.None, t.Size));
        var copy = derefs.Count - 1;
        var ptr = Source.InDeref(copy, layout.Ptr);
        var len = Source.InDeref(copy, layout.Len);
        // No memory At: the parts (not the Go layout at At+0, At+8) say where the words are, so freezing keeps them.
        var node = new ValuePlanner.Node(Source.None);
        node.Parts.Add(new ValuePlanner.Node(ptr));
        node.Parts.Add(new ValuePlanner.Node(len));
        node.Deref = FollowText(ptr, len, null, derefs, options);
        return (new ParamSpec(name, new TypeDesc(t.Name, TypeKind.String, t.Size), [address]), node);
    }

    /// <summary>
    /// A Rust Vec&lt;T&gt; passed or returned by address: copy its 24 bytes, then decode it as the slice of its elements
    /// (data pointer and length where DWARF places them), within the same element and byte limits as a &amp;[T].
    /// </summary>
    private static (ParamSpec, ValuePlanner.Node?) Vec(string name, TypeDesc t, (int Ptr, int Len, TypeDesc Elem) vec, Source address,
        List<DerefSpec> derefs, ValuePlanner values)
    {
        if (derefs.Count >= ProbePlanner.MaxDerefs)
            return (new ParamSpec(name, t, [], NotCaptured: $"passed by reference; deref limit ({ProbePlanner.MaxDerefs})"), null);
        derefs.Add(new DerefSpec(address, Source.None, t.Size));
        var copy = derefs.Count - 1;
        var slice = new TypeDesc(t.Name, TypeKind.Slice, 16) { Elem = vec.Elem };
        return (new ParamSpec(name, slice, [address]), values.SliceOf(slice, Source.InDeref(copy, vec.Ptr), Source.InDeref(copy, vec.Len)));
    }

    /// <summary>A Rust &amp;[T]: (data pointer, element count) in two registers; the elements by one dereference.</summary>
    private static (ParamSpec, ValuePlanner.Node?) SliceInRegisters(string name, TypeDesc t, Reg ptr, Reg len, List<DerefSpec> derefs,
        PlanOptions options)
    {
        var node = new ValuePlanner.Node(Source.None);
        node.Parts.Add(new ValuePlanner.Node(Source.Of(ptr)));
        node.Parts.Add(new ValuePlanner.Node(Source.Of(len)));
        node.Deref = t.Elem is { } e ? FollowText(Source.Of(ptr), Source.Of(len), e, derefs, options) : -1;
        return (new ParamSpec(name, t, [Source.Of(ptr), Source.Of(len)]), node);
    }

    /// <summary>
    /// Adds the dereference that reads a string's text (<paramref name="elem"/> null: --string-max bytes) or a slice's
    /// elements (of 1 to 255 bytes, as many whole ones as a dereference holds) from its data pointer and length, within
    /// the plan's budget; returns its index, or -1.
    /// </summary>
    private static int FollowText(Source ptr, Source len, TypeDesc? elem, List<DerefSpec> derefs, PlanOptions options)
    {
        if (derefs.Count >= ProbePlanner.MaxDerefs) return -1;
        if (elem is null) derefs.Add(new DerefSpec(ptr, len, Math.Clamp(options.StringMax, 0, ProbePlanner.MaxDerefLength)));
        else if (elem.Size is > 0 and <= 255) derefs.Add(new DerefSpec(ptr, len, ProbePlanner.MaxDerefLength / elem.Size * elem.Size, Scale: elem.Size));
        else return -1;
        return derefs.Count - 1;
    }

    /// <summary>
    /// A Rust struct in registers: a ScalarPair has one register per scalar field (integers in order, floats unreadable);
    /// an aggregate cast to an integer is its memory image, eightbyte k in the k-th register.
    /// </summary>
    private static ValuePlanner.Node StructNode(TypeDesc t, ArgLocation loc, List<DerefSpec> derefs, PlanOptions options)
    {
        if (RustAbi.NicheScalars(t) is { } scalars) return NicheNode(t, 0, scalars, loc.IntRegs, derefs, options);
        if (RustAbi.IsPair(t))
        {
            var next = 0;
            return PairNode(t, loc.IntRegs, ref next);
        }
        return CastNode(t, 0, loc.IntRegs);
    }

    /// <summary>
    /// A niche-encoded enum in one or two registers (a Scalar or ScalarPair, RustAbi.NichePass): register k holds the
    /// dataful variant's scalar k, so every field (the niche discriminant, each variant's fields) reads the register of the
    /// scalar its bytes lie in, at its offset there; a &amp;str's text follows its pointer and length registers.
    /// </summary>
    private static ValuePlanner.Node NicheNode(TypeDesc t, int offset, List<(int Offset, TypeDesc Leaf)> scalars, IReadOnlyList<Reg> ints,
        List<DerefSpec> derefs, PlanOptions options)
    {
        if (t.Size == 0) return new ValuePlanner.Node(Source.None) { NotCaptured = "zero-sized" };
        if (t.Kind is TypeKind.Struct or TypeKind.Option or TypeKind.Enum)
        {
            var n = new ValuePlanner.Node(Source.None);
            foreach (var f in t.Fields) n.Parts.Add(NicheNode(f.Type, offset + f.Offset, scalars, ints, derefs, options));
            return n;
        }
        if (t.Kind is TypeKind.String or TypeKind.Slice && t is { Size: 16, Fields.Count: 0 })
        {
            // A &str's text, or a &[T]'s elements (within the same limits as SliceInRegisters).
            var s = new ValuePlanner.Node(Source.None);
            var ptr = NicheNode(new TypeDesc("*const u8", TypeKind.Pointer, 8), offset, scalars, ints, derefs, options);
            var len = NicheNode(new TypeDesc("usize", TypeKind.Uint, 8), offset + 8, scalars, ints, derefs, options);
            s.Parts.Add(ptr);
            s.Parts.Add(len);
            if (ptr.NotCaptured is null && len.NotCaptured is null && (t.Kind == TypeKind.String || t.Elem is not null))
                s.Deref = FollowText(ptr.At, len.At, t.Kind == TypeKind.String ? null : t.Elem, derefs, options);
            return s;
        }
        if (t.Kind is not (TypeKind.Int or TypeKind.Uint or TypeKind.Bool or TypeKind.Pointer or TypeKind.Func or TypeKind.Float) || t.Size > 8)
            return new ValuePlanner.Node(Source.None) { NotCaptured = $"type {t.Name} is not decoded yet" };
        var k = scalars.FindIndex(x => offset >= x.Offset && offset + t.Size <= x.Offset + x.Leaf.Size);
        if (k >= 0 && (scalars[k].Leaf.Kind == TypeKind.Float || t.Kind == TypeKind.Float)) return new ValuePlanner.Node(Source.None) { NotCaptured = "float register" };
        var reg = k < 0 ? -1 : scalars.Take(k).Count(x => x.Leaf.Kind != TypeKind.Float); // floats take XMM registers, not these
        if (reg < 0 || reg >= ints.Count) return new ValuePlanner.Node(Source.None) { NotCaptured = "not in a register" };
        return new ValuePlanner.Node(Source.Of(ints[reg])) { RegOffset = offset - scalars[k].Offset };
    }

    private static ValuePlanner.Node PairNode(TypeDesc t, IReadOnlyList<Reg> ints, ref int next)
    {
        if (t.Size == 0) return new ValuePlanner.Node(Source.None) { NotCaptured = "zero-sized" };
        if (t.Kind is TypeKind.Struct or TypeKind.Option)
        {
            var n = new ValuePlanner.Node(Source.None);
            foreach (var f in t.Fields) n.Parts.Add(PairNode(f.Type, ints, ref next));
            return n;
        }
        if (t.Kind == TypeKind.Enum)
        {
            // A Scalar or ScalarPair enum (RustAbi.EnumPass): the tag in one register, and whichever variant carries
            // data has its one scalar in the next; every variant's payload reads that same register.
            var e = new ValuePlanner.Node(Source.None);
            e.Parts.Add(next < ints.Count ? new ValuePlanner.Node(Source.Of(ints[next++])) : new ValuePlanner.Node(Source.None) { NotCaptured = "not in a register" });
            var value = next;
            foreach (var variant in t.Fields.Skip(1))
            {
                var k = value;
                e.Parts.Add(PairNode(variant.Type, ints, ref k));
                next = Math.Max(next, k);
            }
            return e;
        }
        if (t.Kind == TypeKind.Float) return new ValuePlanner.Node(Source.None) { NotCaptured = "float register" };
        return next < ints.Count ? new ValuePlanner.Node(Source.Of(ints[next++])) : new ValuePlanner.Node(Source.None) { NotCaptured = "not in a register" };
    }

    private static ValuePlanner.Node CastNode(TypeDesc t, int offset, IReadOnlyList<Reg> ints)
    {
        if (t.Kind == TypeKind.Array && t.Elem is { } elem)
        {
            var a = new ValuePlanner.Node(Source.None);
            for (var k = 0; k < t.Count; k++) a.Parts.Add(CastNode(elem, offset + (int)(k * elem.Size), ints));
            return a;
        }
        if (t.Kind is TypeKind.Struct or TypeKind.Option or TypeKind.Enum)
        {
            var n = new ValuePlanner.Node(Source.None);
            foreach (var f in t.Fields) n.Parts.Add(CastNode(f.Type, offset + f.Offset, ints));
            return n;
        }
        var e = offset / 8;
        return e < ints.Count && t.Size > 0 ? new ValuePlanner.Node(Source.Of(ints[e])) { RegOffset = offset % 8 }
            : new ValuePlanner.Node(Source.None) { NotCaptured = t.Size == 0 ? "zero-sized" : "not in a register" };
    }
}
