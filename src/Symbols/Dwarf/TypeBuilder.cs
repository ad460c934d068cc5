using Calltape.Capture.Model;

namespace Calltape.Symbols.Dwarf;

/// <summary>Reduces DWARF type DIEs to TypeDesc: Go kinds from DW_AT_go_kind, C types from their tags and encodings.</summary>
/// <remarks>
/// Values nested by value (struct fields, array elements) are expanded fully, because the Go register ABI assigns them
/// recursively. Anything behind a pointer or a slice is expanded to <see cref="PointerDepth"/> pointer hops (so a
/// probe can follow *T to its fields, and a slice to its elements) and is "shallow" beyond (name, kind, size only).
/// That keeps recursive types finite and the TypeDesc in a session header bounded.
/// </remarks>
internal sealed class TypeBuilder(DieIndex index)
{
    /// <summary>Pointer hops whose targets are described with fields: *T -> T -> T.next (a *T) -> its T.</summary>
    public const int PointerDepth = 2;

    private const byte DwOpPlusUconst = 0x23; // DWARF 5 §2.5.1.3, used by member locations
    private const ushort DwAtGoElem = 0x2902;
    private const ushort DwAtBitSize = 0x0d;   // DWARF 5 §5.7.6: a bit-field member's width  // Go's DW_AT_go_elem: the element type of a slice, array, map or chan (cmd/internal/dwarf)
    private const int Shallow = -1;
    private const ushort VariantPart = 0x33; // DW_TAG_variant_part (DWARF 5 §7.5.3)
    private readonly Dictionary<(ulong, int), TypeDesc> _memo = new();
    private readonly HashSet<(ulong, int)> _building = [];

    /// <param name="depth">Pointer hops still expanded below this type; negative: name, kind and size only.</param>
    public TypeDesc Build(ulong? offset, int depth = PointerDepth)
    {
        if (offset is not { } off) return new TypeDesc("void", TypeKind.Unknown, 0);
        depth = Math.Max(depth, Shallow);
        if (_memo.TryGetValue((off, depth), out var done)) return done;
        if (!_building.Add((off, depth))) return new TypeDesc("?", TypeKind.Unknown, 0); // a cycle through by-value members: malformed
        try
        {
            var die = index.DieAt(off);
            var t = die is null ? new TypeDesc("?", TypeKind.Unknown, 0) : FromDie(die, depth);
            _memo[(off, depth)] = t;
            return t;
        }
        finally
        {
            _building.Remove((off, depth));
        }
    }

    private TypeDesc FromDie(Die die, int depth)
    {
        var shallow = depth < 0;
        var name = die.String(DwAt.Name);
        var size = (int)(die.Constant(DwAt.ByteSize) ?? 0);
        var inner = die.Reference(DwAt.Type);
        if (die.Constant(DwAt.GoKind) is { } goKind && FromGoKind((int)goKind, name, size, die, depth) is { } go)
            return go;

        switch (die.Tag)
        {
            case DwTag.BaseType:
                return BaseType(name ?? "?", (int)(die.Constant(DwAt.Encoding) ?? 0), size);
            case DwTag.PointerType or DwTag.ReferenceType or DwTag.RvalueReferenceType:
            {
                var elem = Build(inner, depth - 1);
                return new TypeDesc(name ?? PointerName(elem), TypeKind.Pointer, size == 0 ? 8 : size) { Elem = elem };
            }
            case DwTag.Typedef:
                return Build(inner, depth) with { Name = name ?? "?" }; // keep the declared name (main.ID, size_t)
            case DwTag.ConstType or DwTag.VolatileType or DwTag.RestrictType or DwTag.AtomicType:
            {
                var t = Build(inner, depth);
                return die.Tag == DwTag.ConstType ? t with { Name = "const " + t.Name } : t;
            }
            // A Rust enum is a structure holding a DW_TAG_variant_part (DWARF 5 §5.7.10): not an empty struct. As a
            // parameter or result it becomes an Option or Enum kind (DwarfReader.ParamType); anywhere else (a field, a
            // pointer's target) it is of unknown kind, so its value is marked rather than shown as {}.
            case DwTag.StructureType when die.HasChildren && IsRust(die.Unit) && die.Unit.Children(die).Any(c => c.Tag == VariantPart):
                return new TypeDesc(name ?? "enum", TypeKind.Unknown, size);
            case DwTag.StructureType or DwTag.ClassType or DwTag.UnionType:
                return new TypeDesc(name ?? (die.Tag == DwTag.UnionType ? "union" : "struct"), TypeKind.Struct, size)
                {
                    Fields = shallow ? [] : Fields(die, depth),
                };
            case DwTag.EnumerationType:
            {
                var underlying = inner is null ? null : Build(inner);
                var kind = underlying?.Kind == TypeKind.Uint ? TypeKind.Uint : TypeKind.Int;
                return new TypeDesc(name ?? "enum", kind, size == 0 ? underlying?.Size ?? 4 : size);
            }
            case DwTag.ArrayType:
                return ArrayType(die, name, size, Build(inner, depth));
            case DwTag.SubroutineType:
                return new TypeDesc(name ?? "func", TypeKind.Func, 0);
            default:
                return new TypeDesc(name ?? "?", TypeKind.Unknown, size);
        }
    }

    /// <summary>Go types whose DWARF shape (a struct, a typedef of a pointer) differs from how the ABI passes them.</summary>
    private TypeDesc? FromGoKind(int goKind, string? name, int size, Die die, int depth)
    {
        var shallow = depth < 0;
        switch (goKind)
        {
            case GoKind.String: return new TypeDesc(name ?? "string", TypeKind.String, 16);
            case GoKind.Slice:
                // The elements are behind the slice's pointer: one hop.
                return new TypeDesc(name ?? "[]?", TypeKind.Slice, 24)
                {
                    Elem = shallow || die.Reference(DwAtGoElem) is not { } e ? null : Build(e, depth - 1),
                };
            case GoKind.Interface:
            {
                // The typedef points at runtime.iface {tab, data} or runtime.eface {_type, data}: the first field's name
                // tells a non-empty interface from interface{} (TreeDecoder reads the first word accordingly).
                var shape = die.Reference(DwAt.Type) is { } st ? Build(st, 0) : null;
                return new TypeDesc(name ?? "interface {}", TypeKind.Interface, 16)
                {
                    Fields = shape?.Kind == TypeKind.Struct ? shape.Fields.Select(f => f with { Type = f.Type with { Fields = [], Elem = null } }).ToArray() : [],
                };
            }
            case GoKind.Map: return new TypeDesc(name ?? "map", TypeKind.Map, 8) { Elem = shallow ? null : Header(die, "count", "used") };
            case GoKind.Chan: return new TypeDesc(name ?? "chan", TypeKind.Chan, 8) { Elem = shallow ? null : Header(die, "qcount", "dataqsiz") };
            case GoKind.Func: return new TypeDesc(name ?? "func", TypeKind.Func, 8);
            case GoKind.UnsafePointer: return new TypeDesc(name ?? "unsafe.Pointer", TypeKind.Pointer, 8);
            case GoKind.Complex64 or GoKind.Complex128:
            {
                // complex is two floats for the register ABI (abi-internal.md: "recursively register-assign the
                // real and imaginary parts"); a struct of two floats says exactly that.
                var half = (size == 0 ? (goKind == GoKind.Complex64 ? 8 : 16) : size) / 2;
                var part = new TypeDesc($"float{half * 8}", TypeKind.Float, half);
                return new TypeDesc(name ?? $"complex{half * 16}", TypeKind.Struct, half * 2)
                {
                    Fields = shallow ? [] : [new FieldDesc("real", 0, part), new FieldDesc("imag", half, part)],
                };
            }
            default:
                return null; // the tag-based reading is right for the rest
        }
    }

    /// <summary>
    /// The struct a map or channel points to, reduced to its length fields: runtime.hmap count (Go &lt;= 1.23), the swiss
    /// map's used (internal/runtime/maps.Map, Go &gt;= 1.24), runtime.hchan qcount and dataqsiz. The planner takes their
    /// offsets from here rather than assuming them.
    /// </summary>
    private TypeDesc? Header(Die typedef, params string[] names)
    {
        if (typedef.Reference(DwAt.Type) is not { } p || Build(p, 1) is not { Kind: TypeKind.Pointer, Elem: { Kind: TypeKind.Struct } h }) return null;
        return h with { Fields = h.Fields.Where(f => names.Contains(f.Name)).Select(f => f with { Type = f.Type with { Fields = [], Elem = null } }).ToArray() };
    }

    private static TypeDesc BaseType(string name, int encoding, int size) => encoding switch
    {
        DwAte.Boolean => new TypeDesc(name, TypeKind.Bool, size),
        DwAte.Float => new TypeDesc(name, TypeKind.Float, size),
        DwAte.Signed or DwAte.SignedChar => new TypeDesc(name, TypeKind.Int, size),
        DwAte.Unsigned or DwAte.UnsignedChar or DwAte.Utf or DwAte.Address => new TypeDesc(name, TypeKind.Uint, size),
        DwAte.ComplexFloat => new TypeDesc(name, TypeKind.Struct, size)
        {
            Fields = [new FieldDesc("real", 0, new TypeDesc("float", TypeKind.Float, size / 2)),
                      new FieldDesc("imag", size / 2, new TypeDesc("float", TypeKind.Float, size / 2))],
        },
        _ => new TypeDesc(name, TypeKind.Unknown, size),
    };

    /// <summary>Only rustc writes variant parts for the languages Calltape reads: other units skip the extra walk.</summary>
    private static bool IsRust(DwarfUnit unit) => unit.Producer?.Contains("rustc", StringComparison.Ordinal) == true;

    private List<FieldDesc> Fields(Die die, int depth)
    {
        var fields = new List<FieldDesc>();
        foreach (var m in die.Unit.Children(die))
        {
            if (m.Tag != DwTag.Member) continue;
            var type = Build(m.Reference(DwAt.Type), depth);
            var bits = (int)(m.Constant(DwAtBitSize) ?? 0);
            if (bits == 0)
            {
                fields.Add(new FieldDesc(m.String(DwAt.Name) ?? "", MemberOffset(m), type));
                continue;
            }
            var at = BitPosition(m, bits, type);
            fields.Add(new FieldDesc(m.String(DwAt.Name) ?? "", (int)(at / 8), type) { BitSize = bits, BitOffset = (int)(at % 8) });
        }
        return fields;
    }

    /// <summary>
    /// A bit-field's first bit, counted from bit 0 of the struct (little-endian): DW_AT_data_bit_offset (DWARF 4+,
    /// §5.7.6), else DWARF 2/3's DW_AT_bit_offset, which counts from the most significant bit of a storage unit of
    /// DW_AT_byte_size bytes (or the type's size) at DW_AT_data_member_location.
    /// </summary>
    private static long BitPosition(Die m, int bits, TypeDesc type)
    {
        if (m.Constant(DwAtDataBitOffset) is { } dataBit) return dataBit;
        var storage = m.Constant(DwAt.ByteSize) ?? type.Size;
        if (m.Constant(DwAtBitOffsetV2) is { } fromTop) return MemberOffset(m) * 8L + storage * 8 - fromTop - bits;
        return MemberOffset(m) * 8L;
    }

    private const ushort DwAtDataBitOffset = 0x6b; // DWARF 5 §7.5.4
    private const ushort DwAtBitOffsetV2 = 0x0c;   // DWARF 3 §5.6.6 (deprecated in DWARF 4)

    /// <summary>DW_AT_data_member_location: a constant, or (DWARF 2 style) an expression "DW_OP_plus_uconst n".</summary>
    private static int MemberOffset(Die m)
    {
        if (!m.TryGet(DwAt.DataMemberLocation, out var a)) return 0; // union members, bitfields with data_bit_offset
        if (DwarfUnit.Constant(a) is { } c) return (int)c;
        var block = m.Unit.Block(a);
        if (block.Length >= 2 && block[0] == DwOpPlusUconst)
        {
            var c2 = new DwarfCursor(block[1..].ToArray(), "member location");
            return (int)c2.Uleb();
        }
        return 0;
    }

    /// <summary>An array from its subranges (one per dimension, outermost first), each with DW_AT_count or upper_bound.</summary>
    private static TypeDesc ArrayType(Die die, string? name, int size, TypeDesc elem)
    {
        var counts = new List<long>();
        foreach (var sub in die.Unit.Children(die))
        {
            if (sub.Tag != DwTag.Subrange) continue;
            var lower = sub.Constant(DwAt.LowerBound) ?? 0;
            counts.Add(sub.Constant(DwAt.Count) ?? (sub.Constant(DwAt.UpperBound) is { } ub ? ub - lower + 1 : 0));
        }
        if (counts.Count == 0) counts.Add(0); // flexible array member: no bound
        var t = elem;
        for (var i = counts.Count - 1; i >= 0; i--)
        {
            var n = Math.Max(0, counts[i]);
            var bytes = i == 0 && size > 0 ? size : (int)Math.Min(int.MaxValue, n * t.Size);
            var isGo = name is not null && name.StartsWith('[');
            t = new TypeDesc(isGo && i == 0 ? name! : $"{t.Name}[{n}]", TypeKind.Array, bytes) { Elem = t, Count = n };
        }
        return name is not null && t.Name != name ? t with { Name = name } : t;
    }

    /// <summary>C spelling for unnamed pointer types; Go always names its pointer types ("*main.T").</summary>
    private static string PointerName(TypeDesc elem) => elem.Name + "*";
}
