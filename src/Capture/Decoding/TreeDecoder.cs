using System.Buffers.Binary;
using System.Text;
using Calltape.Capture.Model;

namespace Calltape.Capture.Decoding;

/// <summary>Decodes a composite parameter from its value tree (<see cref="ValueSpec"/>) and type. Pure, like ValueDecoder.</summary>
/// <remarks>
/// Memory layouts follow the Go spec's sizes and the gc compiler (string = {ptr, len}, slice = {ptr, len, cap},
/// interface = {itab or type, data}, runtime/map.go hmap.count and internal/runtime/maps Map.used at offset 0,
/// runtime/chan.go hchan {qcount, dataqsiz}); C structs and arrays are laid out by their DWARF offsets.
/// </remarks>
internal sealed class TreeDecoder(ProbeSpec probe, RawEvent ev, IDynamicTypes? types)
{
    private const int MaxArrayElems = 256; // arrays print at most this many elements (the rest is marked)
    private Dictionary<Source, ValueSpec>? _links;

    public DecodedValue Decode(TypeDesc t, ValueSpec s)
    {
        if (s.NotCaptured is not null) return DecodedValue.Missing(s.NotCaptured);
        switch (t.Kind)
        {
            case TypeKind.Int or TypeKind.Uint or TypeKind.Bool:
                return Read(s, t.Size, out var raw, out var why) ? new DecodedValue(ValueDecoder.Scalar(t, raw), null) : DecodedValue.Missing(why!);
            case TypeKind.Func:
                return Read(s, 8, out raw, out why) ? new DecodedValue(raw, null) : DecodedValue.Missing(why!);
            case TypeKind.Float:
                if (s.At.Kind == SourceKind.Register) return DecodedValue.Missing("float register");
                if (!Read(s, t.Size, out raw, out why)) return DecodedValue.Missing(why!);
                return t.Size switch
                {
                    4 => new DecodedValue((double)BitConverter.Int32BitsToSingle((int)raw), null),
                    8 => new DecodedValue(BitConverter.Int64BitsToDouble((long)raw), null),
                    _ => DecodedValue.Missing($"a {t.Size}-byte float is not decoded"),
                };
            case TypeKind.Pointer: return Pointer(t, s);
            case TypeKind.String: return String(s);
            case TypeKind.Slice: return Slice(t, s);
            case TypeKind.Struct: return Struct(t, s);
            case TypeKind.Array: return Array(t, s);
            case TypeKind.Interface: return Interface(t, s);
            case TypeKind.Map or TypeKind.Chan: return Counted(t, s);
            case TypeKind.Option: return Option(t, s);
            case TypeKind.Enum: return Enum(t, s);
            default: return DecodedValue.Missing($"type {t.Name} is not decoded yet");
        }
    }

    private DecodedValue Pointer(TypeDesc t, ValueSpec s)
    {
        if (!Read(s, 8, out var addr, out var why)) return DecodedValue.Missing(why!);
        // Inside a tree nil is null whether or not the pointer was followed; a pointer not followed is its address.
        if (addr == 0) return new DecodedValue(NilValue.Instance, null);
        var deref = s.Deref >= 0 ? s.Deref : Link(s)?.Deref ?? -1;
        if (deref < 0 || t.Elem is null || t.Elem.Kind == TypeKind.Unknown) return new DecodedValue(addr, null);
        if (deref < probe.Plan.Derefs.Count && probe.Plan.Derefs[deref].CString) return ValueDecoder.CStringAt(ev, deref);
        if (Failed(deref) is { } err) return DecodedValue.Missing(err);
        return Decode(t.Elem, s.Targets.Count > 0 ? s.Targets[0] : ValueSpec.Leaf(Source.InDeref(deref, 0)));
    }

    private DecodedValue String(ValueSpec s)
    {
        if (!Word(s, 0, out var ptr, out var why) || !Word(s, 1, out var len, out why)) return DecodedValue.Missing(why!);
        if (len == 0) return new DecodedValue("", null);
        var deref = s.Deref >= 0 ? s.Deref : Link(s)?.Deref ?? -1;
        if (deref < 0) return DecodedValue.Missing("depth limit");
        if (ptr == 0) return DecodedValue.Missing("nil pointer");
        if (Failed(deref) is { } err) return DecodedValue.Missing(err);
        var d = ev.Derefs[deref];
        // The length word is the truth; the dereference's own Want only bounds what BPF copied.
        if ((ulong)d.Data.Length < len)
            return DecodedValue.Missing($"truncated at {d.Data.Length} of {len} bytes", Encoding.UTF8.GetString(d.Data));
        return new DecodedValue(Encoding.UTF8.GetString(d.Data, 0, (int)len), null);
    }

    private DecodedValue Slice(TypeDesc t, ValueSpec s)
    {
        // A Rust slice reference (&[T], 16 bytes) is {ptr, len} with no capacity: its elements are the value (JSON array).
        var hasCap = t.Size >= 24;
        ulong cap = 0;
        if (!Word(s, 0, out var ptr, out var why) || !Word(s, 1, out var len, out why) || (hasCap && !Word(s, 2, out cap, out why)))
            return DecodedValue.Missing(why!);
        long? l = hasCap ? (long)len : null, c = hasCap ? (long)cap : null;
        if (len == 0) return new DecodedValue(new ListValue(l, c, []), null);
        if (t.Elem is not { Size: >= 0 } elem) return new DecodedValue(new ListValue(l, c, [], "element type unknown"), null);
        if (s.Deref < 0) return new DecodedValue(new ListValue(l, c, [], "depth limit"), null);
        if (ptr == 0) return DecodedValue.Missing("nil pointer");
        if (Failed(s.Deref) is { } err) return new DecodedValue(new ListValue(l, c, [], err), null);
        var have = ev.Derefs[s.Deref].Data.Length;
        // A length no real slice has (negative as a long) still decodes to no more elements than were copied.
        var n = elem.Size == 0 ? (long)Math.Min(len, MaxArrayElems) : (long)Math.Min(len, (ulong)(have / elem.Size));
        var elems = new DecodedValue[n];
        for (var i = 0; i < n; i++)
            elems[i] = Decode(elem, i < s.Targets.Count ? s.Targets[i] : ValueSpec.Leaf(Source.InDeref(s.Deref, (int)(i * elem.Size))));
        return new DecodedValue(new ListValue(l, c, elems, (ulong)n < len ? $"truncated at {n} of {len} elements" : null), null);
    }

    private DecodedValue Struct(TypeDesc t, ValueSpec s)
    {
        var names = new string[t.Fields.Count];
        var values = new DecodedValue[t.Fields.Count];
        for (var i = 0; i < names.Length; i++)
        {
            var f = t.Fields[i];
            names[i] = string.IsNullOrEmpty(f.Name) ? $"_{i}" : f.Name;
            values[i] = f.BitSize != 0 ? BitField(f, Child(s, i, f.Offset)) : Decode(f.Type, Child(s, i, f.Offset));
        }
        return new DecodedValue(new StructValue(names, values), null);
    }

    /// <summary>A C bit-field: BitSize bits from bit BitOffset of the bytes at its Offset, sign-extended for a signed
    /// type. Bits that straddle two registers (an eightbyte boundary, psABI §3.2.3) are not read.</summary>
    private DecodedValue BitField(FieldDesc f, ValueSpec s)
    {
        var bytes = (f.BitOffset + f.BitSize + 7) / 8;
        if (f.BitOffset < 0 || f.BitSize is < 1 or > 64 || bytes > 8) return DecodedValue.Missing("bit-field");
        if (s.NotCaptured is { } why0) return DecodedValue.Missing(why0);
        if (s.Parts.Count > 0 || (s.At.Kind == SourceKind.Register && s.RegOffset + bytes > 8))
            return DecodedValue.Missing("bit-field across registers");
        if (!Read(s, bytes, out var raw, out var why)) return DecodedValue.Missing(why!);
        var v = raw >> f.BitOffset;
        if (f.BitSize < 64) v &= (1UL << f.BitSize) - 1;
        return f.Type.Kind switch
        {
            TypeKind.Bool => new DecodedValue(v != 0, null),
            TypeKind.Int when f.BitSize < 64 && (v >> (f.BitSize - 1) & 1) != 0 => new DecodedValue((long)(v | ~0UL << f.BitSize), null),
            TypeKind.Int => new DecodedValue((long)v, null),
            _ => new DecodedValue(v, null),
        };
    }

    private DecodedValue Array(TypeDesc t, ValueSpec s)
    {
        if (t.Elem is not { Size: >= 0 } elem || t.Count < 0 || t.Count * elem.Size > int.MaxValue)
            return DecodedValue.Missing($"type {t.Name} is not decoded yet");
        var n = Math.Min(t.Count, MaxArrayElems);
        var elems = new DecodedValue[n];
        for (var i = 0; i < n; i++) elems[i] = Decode(elem, Child(s, i, (int)(i * elem.Size)));
        return new DecodedValue(new ListValue(null, null, elems, n < t.Count ? $"truncated at {n} of {t.Count} elements" : null), null);
    }

    /// <summary>
    /// An interface: {itab, data} or, for <c>interface{}</c>, {*_type, data} (Go runtime/runtime2.go iface/eface). The
    /// dynamic type comes from the binary; a pointer-shaped one is the data word itself, any other is what it points to.
    /// </summary>
    private DecodedValue Interface(TypeDesc t, ValueSpec s)
    {
        if (!Word(s, 0, out var tab, out var why) || !Word(s, 1, out var data, out why)) return DecodedValue.Missing(why!);
        if (tab == 0) return new DecodedValue(NilValue.Instance, null);
        // The binary's tables hold link-time addresses; a position-independent one ran at a bias (ProbeSpec.LoadBias).
        var bias = types is null ? 0 : probe.LoadBias(ev);
        var dyn = types is null ? null : t.IsEmptyInterface ? types.TypeAt(tab - bias) : types.ItabType(tab - bias) ?? RuntimeItabType(s, bias);
        if (dyn is null) return new DecodedValue(new InterfaceValue(null, DecodedValue.Missing("dynamic type unknown")), null);
        if (s.Targets.Count > 0)
        {
            _links ??= new Dictionary<Source, ValueSpec>();
            foreach (var l in s.Targets) _links[l.At] = l;
        }
        var dataAt = s.Parts.Count > 1 ? s.Parts[1] : ValueSpec.Leaf(s.At.Plus(8));
        DecodedValue value;
        if (dyn.Kind is TypeKind.Pointer or TypeKind.Map or TypeKind.Chan or TypeKind.Func)
            value = Decode(dyn, dataAt with { Deref = s.Deref });
        else if (s.Deref < 0) value = DecodedValue.Missing("depth limit");
        else if (data == 0) value = DecodedValue.Missing("nil pointer");
        else if (Failed(s.Deref) is { } err) value = DecodedValue.Missing(err);
        else value = Decode(dyn, ValueSpec.Leaf(Source.InDeref(s.Deref, 0)));
        return new DecodedValue(new InterfaceValue(dyn.Name, value), null);
    }

    /// <summary>
    /// The dynamic type of an interface whose itab the runtime built (not in the file): the itab's type word, which the
    /// probe read only because the itab was outside the binary's image (ValueSpec.TypeDeref), is a *_type in the binary.
    /// </summary>
    private TypeDesc? RuntimeItabType(ValueSpec s, ulong bias)
    {
        // A skipped read (the itab was in the image after all) has no bytes, so Read fails and the type stays unknown.
        if (s.TypeDeref < 0) return null;
        return Read(ValueSpec.Leaf(Source.InDeref(s.TypeDeref, 0)), 8, out var type, out _) && type != 0 ? types!.TypeAt(type - bias) : null;
    }

    /// <summary>
    /// A tagged optional value: its discriminant (field 0) says None, which decodes as null, or that the value (field
    /// 1) is there. The value's bytes are not read for None: the program never wrote them.
    /// </summary>
    private DecodedValue Option(TypeDesc t, ValueSpec s)
    {
        if (t.Fields.Count != 2 || t.Fields[0].Type.Kind is not (TypeKind.Int or TypeKind.Uint) || t.Fields[0].Type.Size is < 1 or > 8)
            return DecodedValue.Missing($"type {t.Name} is not decoded yet");
        var tagType = t.Fields[0].Type;
        var at = Child(s, 0, t.Fields[0].Offset);
        if (at.NotCaptured is { } lost) return DecodedValue.Missing(lost);
        if (!Read(at, tagType.Size, out var tag, out var why)) return DecodedValue.Missing(why!);
        var none = (ulong)t.Count & (tagType.Size >= 8 ? ulong.MaxValue : (1UL << (8 * tagType.Size)) - 1);
        if (tag == none) return new DecodedValue(NilValue.Instance, null);
        return Decode(t.Fields[1].Type, Child(s, 1, t.Fields[1].Offset));
    }

    /// <summary>
    /// A tagged enum: the discriminant (field 0) names the variant (the payload struct whose Count equals it); only that
    /// variant's fields are read, since the bytes of the others hold whatever the program left there. The shape is
    /// serde's externally tagged one: a unit variant is its name, a one-field tuple variant {"Name": value}, a longer
    /// tuple {"Name": [values]}, a struct variant {"Name": {fields}}; a zero-sized field (the () of Ok(())) is null.
    /// A niche-encoded enum names its default variant in its Count (a field index): the discriminant is then a niche
    /// inside that variant's payload, and any value no other variant has is that variant (DWARF 5 §5.7.10).
    /// </summary>
    private DecodedValue Enum(TypeDesc t, ValueSpec s)
    {
        if (t.Fields.Count < 2 || t.Fields[0].Type.Kind is not (TypeKind.Int or TypeKind.Uint) || t.Fields[0].Type.Size is < 1 or > 8)
            return DecodedValue.Missing($"type {t.Name} is not decoded yet");
        var tagType = t.Fields[0].Type;
        var at = Child(s, 0, t.Fields[0].Offset);
        if (at.NotCaptured is { } lost) return DecodedValue.Missing(lost);
        if (!Read(at, tagType.Size, out var tag, out var why)) return DecodedValue.Missing(why!);
        var k = VariantOf(t, tag, tagType.Size);
        if (k < 0) return DecodedValue.Missing($"discriminant {tag} names no variant of {t.Name}");
        var variant = t.Fields[k];
        var payload = Child(s, k, variant.Offset);
        var fields = variant.Type.Fields;
        if (fields.Count == 0) return new DecodedValue(variant.Name, null);
        var values = new DecodedValue[fields.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var f = fields[i];
            values[i] = f.Type.Size == 0 ? new DecodedValue(NilValue.Instance, null) : Decode(f.Type, Child(payload, i, f.Offset));
        }
        var tuple = fields.Select((f, i) => f.Name == $"__{i}").All(b => b);
        var inner = tuple && values.Length == 1 ? values[0]
            : new DecodedValue(tuple ? new ListValue(null, null, values) : new StructValue(fields.Select(f => f.Name).ToArray(), values), null);
        return new DecodedValue(new StructValue([variant.Name], [inner]), null);
    }

    /// <summary>The field index of the variant a discriminant names: the one whose value it is, else a niche-encoded
    /// enum's default variant (its Count), else -1.</summary>
    private static int VariantOf(TypeDesc t, ulong tag, int size)
    {
        var fallback = t.Count > 0 && t.Count < t.Fields.Count ? (int)t.Count : -1;
        for (var k = 1; k < t.Fields.Count; k++)
        {
            var value = (ulong)t.Fields[k].Type.Count;
            if (k != fallback && value == Mask(value, size) && tag == value) return k;
        }
        return fallback;
    }

    /// <summary>A map's count or a channel's qcount and dataqsiz, read from the header the dereference copied.</summary>
    private DecodedValue Counted(TypeDesc t, ValueSpec s)
    {
        if (!Read(s, 8, out var addr, out var why)) return DecodedValue.Missing(why!);
        if (addr == 0) return new DecodedValue(NilValue.Instance, null);
        var isChan = t.Kind == TypeKind.Chan;
        if (s.Deref < 0) return new DecodedValue(addr, null);
        var len = Decode(new TypeDesc("int", TypeKind.Int, 8), ValueSpec.Leaf(Source.InDeref(s.Deref, 0)));
        DecodedValue? cap = isChan ? Decode(new TypeDesc("int", TypeKind.Int, 8), ValueSpec.Leaf(Source.InDeref(s.Deref, 8))) : null;
        return new DecodedValue(new CountValue(len, cap), null);
    }

    private ValueSpec? Link(ValueSpec s) => _links is not null && s.At.IsMemory && _links.TryGetValue(s.At, out var l) ? l : null;

    private ValueSpec Child(ValueSpec s, int index, int offset)
    {
        if (s.Parts.Count > 0) return index < s.Parts.Count ? s.Parts[index] : ValueSpec.Missing("not in the record");
        if (s.At.IsMemory) return ValueSpec.Leaf(s.At.Plus(offset));
        return s.At.Kind == SourceKind.Register && s.RegOffset + offset < 8
            ? new ValueSpec(s.At) { RegOffset = s.RegOffset + offset }
            : ValueSpec.Missing("not in the record");
    }

    /// <summary>Word i (8 bytes) of a multi-word value: its part, or memory at At + 8i.</summary>
    private bool Word(ValueSpec s, int i, out ulong value, out string? why)
    {
        if (s.Parts.Count > 0)
        {
            if (i < s.Parts.Count) return Read(s.Parts[i], 8, out value, out why);
            value = 0;
            why = "not in the record";
            return false;
        }
        if (i == 0 || s.At.IsMemory) return Read(i == 0 ? s : ValueSpec.Leaf(s.At.Plus(8 * i)), 8, out value, out why);
        value = 0;
        why = "not in the record";
        return false;
    }

    private string? Failed(int deref)
    {
        if (deref < 0 || deref >= ev.Derefs.Length) return "not in the record";
        var d = ev.Derefs[deref];
        return d.Error != 0 ? $"unreadable memory (errno {-d.Error})" : null;
    }

    /// <summary>Size bytes (at most 8, little-endian) at a value's source.</summary>
    private bool Read(ValueSpec s, int size, out ulong value, out string? why)
    {
        value = 0;
        why = null;
        size = Math.Clamp(size, 1, 8);
        var at = s.At;
        switch (at.Kind)
        {
            case SourceKind.Register:
                if (!ValueDecoder.TryPiece(probe, ev, at, out var reg)) { why = "not in the record"; return false; }
                value = Mask(s.RegOffset is > 0 and < 8 ? reg >> (8 * s.RegOffset) : reg, size);
                return true;
            case SourceKind.Stack:
                if (ev.Stack is null || at.Index < 0 || at.Index + size > ev.Stack.Length) { why = "not in the record"; return false; }
                value = Little(ev.Stack.AsSpan(at.Index, size));
                return true;
            case SourceKind.Deref:
                if (Failed(at.Deref) is { } err) { why = err; return false; }
                var data = ev.Derefs[at.Deref].Data;
                if (at.Index < 0 || at.Index + size > data.Length) { why = $"truncated at {data.Length} bytes"; return false; }
                value = Little(data.AsSpan(at.Index, size));
                return true;
            default:
                why = "not in the record";
                return false;
        }
    }

    private static ulong Mask(ulong v, int size) => size >= 8 ? v : v & ((1UL << (8 * size)) - 1);

    private static ulong Little(ReadOnlySpan<byte> b)
    {
        Span<byte> w = stackalloc byte[8];
        w.Clear();
        b.CopyTo(w);
        return BinaryPrimitives.ReadUInt64LittleEndian(w);
    }
}
