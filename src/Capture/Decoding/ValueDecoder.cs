using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Calltape.Capture.Model;

namespace Calltape.Capture.Decoding;

/// <summary>A decoded argument: exactly what the program passed, or not captured with a reason.</summary>
/// <param name="Value">A long (signed ints), ulong (unsigned ints, pointers), bool, string or double; for composites a
/// StructValue, ListValue, InterfaceValue, CountValue or NilValue; null when not captured.</param>
/// <param name="NotCaptured">Why there is no value (float register, truncated, unreadable memory), else null.</param>
/// <param name="Partial">For a truncated string, the bytes that were captured.</param>
public readonly record struct DecodedValue(object? Value, string? NotCaptured, string? Partial = null)
{
    public static DecodedValue Missing(string reason, string? partial = null) => new(null, reason, partial);
}

/// <summary>Turns a raw record into parameter values using the probe's plan. Pure: no I/O, no kernel.</summary>
public static class ValueDecoder
{
    /// <param name="types">Names interfaces' dynamic types (from the traced binary); null leaves them unknown.</param>
    public static DecodedValue[] Decode(ProbeSpec probe, RawEvent ev, IDynamicTypes? types = null)
    {
        var result = new DecodedValue[probe.Params.Count];
        for (var i = 0; i < result.Length; i++) result[i] = DecodeParam(probe, probe.Params[i], ev, types);
        return result;
    }

    public static DecodedValue DecodeParam(ProbeSpec probe, ParamSpec p, RawEvent ev, IDynamicTypes? types = null)
    {
        if (p.NotCaptured is not null) return DecodedValue.Missing(p.NotCaptured);
        if (p.Value is not null) return new TreeDecoder(probe, ev, types).Decode(p.Type, p.Value);
        var t = p.Type;
        switch (t.Kind)
        {
            case TypeKind.Int:
            case TypeKind.Uint:
            case TypeKind.Bool:
            case TypeKind.Pointer:
            case TypeKind.Map:
            case TypeKind.Chan:
            case TypeKind.Func:
                if (p.Pieces.Count < 1 || !TryPiece(probe, ev, p.Pieces[0], out var raw))
                    return DecodedValue.Missing("not in the record");
                return new DecodedValue(Scalar(t, raw), null);
            case TypeKind.String:
                return DecodeString(probe, p, ev);
            case TypeKind.Float:
                return DecodedValue.Missing("float register");
            default:
                return DecodedValue.Missing($"type {t.Name} is not decoded yet");
        }
    }

    /// <summary>An integer of the given type from its eightbyte, sign- or zero-extended by size.</summary>
    public static object Scalar(TypeDesc t, ulong raw) => t.Kind switch
    {
        TypeKind.Bool => (raw & 0xff) != 0,
        TypeKind.Int => t.Size switch
        {
            1 => (long)(sbyte)raw,
            2 => (long)(short)raw,
            4 => (long)(int)raw,
            _ => (long)raw,
        },
        TypeKind.Uint => t.Size switch
        {
            1 => raw & 0xff,
            2 => raw & 0xffff,
            4 => raw & 0xffff_ffff,
            _ => raw,
        },
        _ => raw,
    };

    private static DecodedValue DecodeString(ProbeSpec probe, ParamSpec p, RawEvent ev)
    {
        if (p.Deref >= 0 && p.Deref < probe.Plan.Derefs.Count && probe.Plan.Derefs[p.Deref].CString)
            return DecodeCString(probe, p, ev);
        if (p.Pieces.Count < 2 || !TryPiece(probe, ev, p.Pieces[0], out var ptr) || !TryPiece(probe, ev, p.Pieces[1], out var len))
            return DecodedValue.Missing("not in the record");
        if (len == 0) return new DecodedValue("", null);
        if (p.Deref < 0 || p.Deref >= ev.Derefs.Length) return DecodedValue.Missing("string bytes not planned");
        if (ptr == 0) return DecodedValue.Missing("nil pointer");
        var d = ev.Derefs[p.Deref];
        if (d.Error != 0) return DecodedValue.Missing($"unreadable memory (errno {-d.Error})");
        // The length register is the truth; the deref's own Want only bounds what BPF copied.
        if ((ulong)d.Data.Length < len)
            return DecodedValue.Missing($"truncated at {d.Data.Length} of {len} bytes", Encoding.UTF8.GetString(d.Data));
        return new DecodedValue(Encoding.UTF8.GetString(d.Data, 0, (int)len), null);
    }

    /// <summary>A NUL-terminated string (C char*): the bytes before the NUL; a read that filled the cap means truncated.</summary>
    /// <remarks>
    /// bpf_probe_read_user_str copies at most max_len - 1 bytes and writes the NUL itself (bpf-helpers(7)). A read
    /// that stops short of max_len (Want) met the string's own NUL: complete. One that fills it proves only that the
    /// string had at least max_len - 1 bytes, so it is truncated, and max_len - 2 bytes are kept: the planner asks for
    /// --string-max + 2, so strings up to --string-max bytes are complete and longer ones keep exactly that many.
    /// </remarks>
    private static DecodedValue DecodeCString(ProbeSpec probe, ParamSpec p, RawEvent ev)
    {
        if (p.Pieces.Count < 1 || !TryPiece(probe, ev, p.Pieces[0], out var ptr)) return DecodedValue.Missing("not in the record");
        if (ptr == 0) return DecodedValue.Missing("nil pointer");
        if (p.Deref < 0 || p.Deref >= ev.Derefs.Length) return DecodedValue.Missing("string bytes not planned");
        return CStringAt(ev, p.Deref);
    }

    /// <summary>The C string a CString dereference copied (see DecodeCString for the truncation rule).</summary>
    internal static DecodedValue CStringAt(RawEvent ev, int deref)
    {
        if (deref < 0 || deref >= ev.Derefs.Length) return DecodedValue.Missing("not in the record");
        var d = ev.Derefs[deref];
        if (d.Error != 0) return DecodedValue.Missing($"unreadable memory (errno {-d.Error})");
        var nul = Array.IndexOf(d.Data, (byte)0);
        if (nul < 0 || d.Data.Length >= d.Want)
        {
            var kept = (int)Math.Clamp(Math.Min(nul < 0 ? d.Data.Length : nul, d.Want - 2), 0, d.Data.Length);
            return DecodedValue.Missing($"truncated at {kept} bytes", Encoding.UTF8.GetString(d.Data, 0, kept));
        }
        return new DecodedValue(Encoding.UTF8.GetString(d.Data, 0, nul), null);
    }

    private static void WriteElems(Utf8JsonWriter w, ListValue list)
    {
        w.WriteStartArray();
        foreach (var e in list.Elems) WriteJson(w, e);
        w.WriteEndArray();
    }

    /// <summary>Reads one eightbyte from a register or the stack window.</summary>
    public static bool TryPiece(ProbeSpec probe, RawEvent ev, Source s, out ulong value)
    {
        value = 0;
        switch (s.Kind)
        {
            case SourceKind.Register:
                var i = probe.Plan.IndexOf((Reg)s.Index);
                if (i < 0 || i >= ev.Registers.Length) return false;
                value = ev.Registers[i];
                return true;
            case SourceKind.Stack:
                if (ev.Stack is null || s.Index < 0 || s.Index + 8 > ev.Stack.Length) return false;
                value = BinaryPrimitives.ReadUInt64LittleEndian(ev.Stack.AsSpan(s.Index));
                return true;
            default:
                return false;
        }
    }

    /// <summary>The arguments as one JSON object, for the calls table: values, or {"not_captured": reason}.</summary>
    public static string ToJson(ProbeSpec probe, DecodedValue[] values)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            for (var i = 0; i < values.Length; i++)
            {
                w.WritePropertyName(probe.Params[i].Name);
                WriteJson(w, values[i]);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
    }

    /// <summary>One value as JSON text (a composite's SQL column).</summary>
    public static string JsonText(DecodedValue v)
    {
        var buf = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buf)) WriteJson(w, v);
        return Encoding.UTF8.GetString(buf.WrittenSpan);
    }

    /// <summary>Writes one value as JSON: the value itself, or {"not_captured": reason[, "partial": bytes]}.</summary>
    /// <remarks>
    /// Composites (docs/FORMAT.md, "Decoding rules"): a struct is an object of its fields, an array a JSON array, a slice
    /// {"len", "cap", "elems"}, an interface {"type", "value"}, a map {"len"}, a channel {"len", "cap"}, nil is null;
    /// elements that were not captured add "elems_not_captured": reason. Non-finite floats are the strings "NaN", "+Inf", "-Inf".
    /// </remarks>
    public static void WriteJson(Utf8JsonWriter w, DecodedValue v)
    {
        switch (v.Value)
        {
            case long l: w.WriteNumberValue(l); break;
            case ulong u: w.WriteNumberValue(u); break;
            case bool b: w.WriteBooleanValue(b); break;
            case string s: w.WriteStringValue(s); break;
            case double d when double.IsFinite(d): w.WriteNumberValue(d); break;
            case double d: w.WriteStringValue(double.IsNaN(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf"); break;
            case NilValue: w.WriteNullValue(); break;
            case StructValue st:
                w.WriteStartObject();
                for (var i = 0; i < st.Names.Count; i++)
                {
                    w.WritePropertyName(st.Names[i]);
                    WriteJson(w, st.Values[i]);
                }
                w.WriteEndObject();
                break;
            case ListValue list when list.Len is null && list.Missing is null:
                WriteElems(w, list);
                break;
            case ListValue list:
                w.WriteStartObject();
                if (list.Len is { } len) { w.WriteNumber("len", len); w.WriteNumber("cap", list.Cap ?? 0); }
                w.WritePropertyName("elems");
                WriteElems(w, list);
                if (list.Missing is not null) w.WriteString("elems_not_captured", list.Missing);
                w.WriteEndObject();
                break;
            case InterfaceValue iv:
                w.WriteStartObject();
                if (iv.TypeName is null) w.WriteNull("type"); else w.WriteString("type", iv.TypeName);
                w.WritePropertyName("value");
                WriteJson(w, iv.Value);
                w.WriteEndObject();
                break;
            case CountValue cv:
                w.WriteStartObject();
                w.WritePropertyName("len");
                WriteJson(w, cv.Len);
                if (cv.Cap is { } cap) { w.WritePropertyName("cap"); WriteJson(w, cap); }
                w.WriteEndObject();
                break;
            default:
                w.WriteStartObject();
                w.WriteString("not_captured", v.NotCaptured ?? "unknown");
                if (v.Partial is not null) w.WriteString("partial", v.Partial);
                w.WriteEndObject();
                break;
        }
    }
}
