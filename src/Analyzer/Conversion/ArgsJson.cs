using System.Buffers;
using System.Text;
using System.Text.Json;
using Calltape.Capture.Decoding;

namespace Calltape.Analyzer.Conversion;

/// <summary>Builds the calls table's args JSON with one reused writer and buffer, byte-for-byte like <see cref="ValueDecoder.ToJson"/>.</summary>
/// <remarks>ToJson allocates a MemoryStream and a writer per event and takes boxed values; at millions of events per
/// second that dominates. Same writer options and call sequence, so the text is identical (tests compare them).</remarks>
internal sealed class ArgsJson
{
    private readonly ArrayBufferWriter<byte> _buf = new(512);
    private readonly Utf8JsonWriter _w;

    public ArgsJson() => _w = new Utf8JsonWriter(_buf);

    public void Begin()
    {
        _buf.ResetWrittenCount();
        _w.Reset(_buf);
        _w.WriteStartObject();
    }

    /// <summary>A scalar's 64 bits as the column kind says: BIGINT, UBIGINT or BOOLEAN.</summary>
    public void Scalar(JsonEncodedText name, ColumnKind kind, ulong bits)
    {
        _w.WritePropertyName(name);
        switch (kind)
        {
            case ColumnKind.Int64: _w.WriteNumberValue((long)bits); break;
            case ColumnKind.Bool: _w.WriteBooleanValue(bits != 0); break;
            default: _w.WriteNumberValue(bits); break;
        }
    }

    public void String(JsonEncodedText name, string value)
    {
        _w.WritePropertyName(name);
        _w.WriteStringValue(value);
    }

    /// <summary>A value from the slow path, written by ValueDecoder's own rule (including not_captured and partial).</summary>
    public void Decoded(JsonEncodedText name, DecodedValue v)
    {
        _w.WritePropertyName(name);
        ValueDecoder.WriteJson(_w, v);
    }

    public string End()
    {
        _w.WriteEndObject();
        _w.Flush();
        return Encoding.UTF8.GetString(_buf.WrittenSpan);
    }
}
