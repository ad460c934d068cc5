using System.Buffers;
using System.Data.Common;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Calltape.Analyzer.Query;

/// <summary>How query results are printed.</summary>
public enum OutputFormat
{
    /// <summary>Aligned columns under a header, for people.</summary>
    Table,
    /// <summary>RFC 4180 CSV with a header row.</summary>
    Csv,
    /// <summary>A JSON array of objects, one per row.</summary>
    Json,
}

/// <summary>Writes a DuckDB result in one of the <see cref="OutputFormat"/>s.</summary>
internal static class ResultFormatter
{
    public static void Write(DbDataReader r, OutputFormat format, TextWriter output)
    {
        switch (format)
        {
            case OutputFormat.Csv: WriteCsv(r, output); break;
            case OutputFormat.Json: WriteJson(r, output); break;
            default: WriteTable(r, output); break;
        }
    }

    /// <summary>Buffers the result to size the columns; numbers right-aligned, NULL spelled out.</summary>
    private static void WriteTable(DbDataReader r, TextWriter output)
    {
        var n = r.FieldCount;
        var names = Enumerable.Range(0, n).Select(r.GetName).ToArray();
        var numeric = Enumerable.Range(0, n).Select(i => IsNumeric(r.GetFieldType(i))).ToArray();
        var widths = names.Select(s => s.Length).ToArray();
        var rows = new List<string[]>();
        while (r.Read())
        {
            var row = new string[n];
            for (var i = 0; i < n; i++)
            {
                row[i] = r.IsDBNull(i) ? "NULL" : Text(r.GetValue(i)).ReplaceLineEndings("\\n");
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
            rows.Add(row);
        }
        var sb = new StringBuilder();
        void Line(string[] cells, bool header)
        {
            sb.Clear();
            for (var i = 0; i < n; i++)
            {
                if (i > 0) sb.Append("  ");
                var last = i == n - 1;
                if (numeric[i] && !header) sb.Append(cells[i].PadLeft(widths[i]));
                else sb.Append(last ? cells[i] : cells[i].PadRight(widths[i]));
            }
            output.WriteLine(sb.ToString());
        }
        Line(names, header: true);
        Line(widths.Select(w => new string('-', w)).ToArray(), header: true);
        foreach (var row in rows) Line(row, header: false);
        output.WriteLine(rows.Count == 1 ? "(1 row)" : $"({rows.Count} rows)");
    }

    private static void WriteCsv(DbDataReader r, TextWriter output)
    {
        var n = r.FieldCount;
        output.WriteLine(string.Join(",", Enumerable.Range(0, n).Select(i => CsvField(r.GetName(i)))));
        var sb = new StringBuilder();
        while (r.Read())
        {
            sb.Clear();
            for (var i = 0; i < n; i++)
            {
                if (i > 0) sb.Append(',');
                if (!r.IsDBNull(i)) sb.Append(CsvField(Text(r.GetValue(i))));
            }
            output.WriteLine(sb.ToString());
        }
    }

    private static string CsvField(string s) =>
        s.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>One object per line inside the array, so large results stream and diff well.</summary>
    private static void WriteJson(DbDataReader r, TextWriter output)
    {
        var n = r.FieldCount;
        var names = Enumerable.Range(0, n).Select(i => JsonEncodedText.Encode(r.GetName(i), JavaScriptEncoder.UnsafeRelaxedJsonEscaping)).ToArray();
        var buf = new ArrayBufferWriter<byte>();
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using var w = new Utf8JsonWriter(buf, options);
        output.Write('[');
        var first = true;
        while (r.Read())
        {
            buf.ResetWrittenCount();
            w.Reset(buf);
            w.WriteStartObject();
            for (var i = 0; i < n; i++)
            {
                w.WritePropertyName(names[i]);
                JsonValue(w, r.IsDBNull(i) ? null : r.GetValue(i));
            }
            w.WriteEndObject();
            w.Flush();
            output.Write(first ? "\n" : ",\n");
            output.Write(Encoding.UTF8.GetString(buf.WrittenSpan));
            first = false;
        }
        output.WriteLine(first ? "]" : "\n]");
    }

    private static void JsonValue(Utf8JsonWriter w, object? v)
    {
        switch (v)
        {
            case null: w.WriteNullValue(); break;
            case bool b: w.WriteBooleanValue(b); break;
            case long or int or short or sbyte: w.WriteNumberValue(Convert.ToInt64(v, CultureInfo.InvariantCulture)); break;
            case ulong or uint or ushort or byte: w.WriteNumberValue(Convert.ToUInt64(v, CultureInfo.InvariantCulture)); break;
            case decimal m: w.WriteNumberValue(m); break;
            case BigInteger bi: w.WriteRawValue(bi.ToString(CultureInfo.InvariantCulture)); break;
            case double d when double.IsFinite(d): w.WriteNumberValue(d); break;
            case float f when float.IsFinite(f): w.WriteNumberValue(f); break;
            default: w.WriteStringValue(Text(v)); break;
        }
    }

    /// <summary>A value as text, culture-invariant, round-trippable for floating point.</summary>
    private static string Text(object v) => v switch
    {
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(x => x is null ? "NULL" : Text(x))) + "]",
        _ => v.ToString() ?? "",
    };

    private static bool IsNumeric(Type t) =>
        t == typeof(long) || t == typeof(int) || t == typeof(short) || t == typeof(sbyte) || t == typeof(ulong) || t == typeof(uint)
        || t == typeof(ushort) || t == typeof(byte) || t == typeof(double) || t == typeof(float) || t == typeof(decimal) || t == typeof(BigInteger);
}
