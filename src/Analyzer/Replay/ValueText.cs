using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Calltape.Capture.Decoding;
using Calltape.Capture.Model;

namespace Calltape.Analyzer.Replay;

/// <summary>Arguments, results and durations as replay and report print them.</summary>
internal static class ValueText
{
    /// <summary>name=value, ... of every parameter of the probe (arguments of an entry, results of an exit).</summary>
    /// <param name="types">Names interfaces' dynamic types (Binaries/DynamicTypes); null leaves them unknown.</param>
    public static string Params(ProbeSpec probe, RawEvent ev, bool names = true, IDynamicTypes? types = null)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < probe.Params.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            if (names) sb.Append(probe.Params[i].Name).Append('=');
            sb.Append(Value(ValueDecoder.DecodeParam(probe, probe.Params[i], ev, types)));
        }
        return sb.ToString();
    }

    /// <summary>A value: numbers and booleans as Go and C print them, strings quoted (JSON escapes), else &lt;reason&gt;.</summary>
    /// <remarks>Composites read like Go's %+v: {Name:"x" Qty:3}, [1 2 3] (a slice with len= and cap=), *main.E{...} for
    /// an interface's dynamic type, {len=2} for a map, {len=1 cap=4} for a channel, nil.</remarks>
    public static string Value(DecodedValue v) => v.Value switch
    {
        long l => l.ToString(CultureInfo.InvariantCulture),
        ulong u => u.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string s => Quote(s),
        double d => d.ToString(CultureInfo.InvariantCulture),
        NilValue => "nil",
        StructValue st => "{" + string.Join(" ", st.Names.Select((n, i) => $"{n}:{Value(st.Values[i])}")) + "}",
        ListValue list => (list.Len is { } n ? $"len={n} cap={list.Cap} " : "") + "["
            + string.Join(" ", list.Elems.Select(Value)) + (list.Missing is null ? "" : $" ...<{list.Missing}>") + "]",
        InterfaceValue iv => $"{iv.TypeName ?? "?"}({Value(iv.Value)})",
        CountValue c => c.Cap is { } cap ? $"{{len={Value(c.Len)} cap={Value(cap)}}}" : $"{{len={Value(c.Len)}}}",
        _ => v.Partial is not null ? $"{Quote(v.Partial)}...<{v.NotCaptured}>" : $"<{v.NotCaptured ?? "unknown"}>",
    };

    // Only what JSON must escape: non-ASCII text stays readable.
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Quote(string s) => JsonSerializer.Serialize(s, Relaxed);

    /// <summary>A duration the way uftrace prints one: three decimals in the largest unit that keeps it above 1.</summary>
    public static string Duration(long ns) => ns switch
    {
        < 1_000_000 => (ns / 1e3).ToString("F3", CultureInfo.InvariantCulture) + " us",
        < 1_000_000_000 => (ns / 1e6).ToString("F3", CultureInfo.InvariantCulture) + " ms",
        _ => (ns / 1e9).ToString("F3", CultureInfo.InvariantCulture) + "  s",
    };
}
