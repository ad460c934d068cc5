using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Calltape.Capture.Decoding;

namespace Calltape.Analyzer.Conversion;

/// <summary>Builds the calls table's args JSON as UTF-16 straight into the row group's text, byte-for-byte like <see cref="ValueDecoder.ToJson"/>.</summary>
/// <remarks>
/// ToJson allocates a MemoryStream and a writer per event and takes boxed values; even one reused Utf8JsonWriter
/// costs a UTF-8 round trip and a string per call (7% of convert's samples). Here numbers, booleans and strings
/// that need no escaping are written directly; everything else (strings with a char the writer escapes, values of
/// the slow path) goes through a Utf8JsonWriter with ToJson's options, so the text is identical (ArgsJsonTests
/// compare them, and which chars need escaping is asked of that writer, not assumed).
/// </remarks>
internal sealed class ArgsJson
{
    /// <summary>The ASCII chars Utf8JsonWriter's default encoder writes as themselves inside a string.</summary>
    private static readonly SearchValues<char> Plain = PlainChars();

    private readonly ArrayBufferWriter<byte> _buf = new(256);
    private readonly Utf8JsonWriter _w;
    /// <summary>Where the object is written: _chars[_start .. _start + _len], an open cell of <see cref="_text"/>.</summary>
    private TextBuffer _text = null!;
    private char[] _chars = [];
    private int _start;
    private int _len;
    private bool _first;
    /// <summary>The text of <see cref="Begin()"/> without a target, emptied at each object.</summary>
    private readonly TextBuffer _own = new();

    public ArgsJson() => _w = new Utf8JsonWriter(_buf);

    /// <summary>The text a property name starts with, "name": escaped as ToJson's writer escapes it.</summary>
    public static string Name(string name)
    {
        var buf = new ArrayBufferWriter<byte>(64);
        using (var w = new Utf8JsonWriter(buf))
        {
            w.WriteStartObject();
            w.WritePropertyName(name);
            w.WriteNullValue();
            w.WriteEndObject();
        }
        var text = Encoding.UTF8.GetString(buf.WrittenSpan); // {"name":null}
        return text[1..^"null}".Length];
    }

    /// <summary>Starts an object written straight into <paramref name="text"/> (a row group's text, so the cell needs no copy).</summary>
    public void Begin(TextBuffer text)
    {
        _text = text;
        _chars = text.Open(out _start);
        _len = 0;
        _first = true;
        Append('{');
    }

    /// <summary>Starts an object in a buffer of its own, valid until the next Begin.</summary>
    public void Begin()
    {
        _own.Reset();
        Begin(_own);
    }

    /// <summary>A scalar's 64 bits as the column kind says: BIGINT, UBIGINT or BOOLEAN.</summary>
    public void Scalar(string name, ColumnKind kind, ulong bits)
    {
        Property(name, 20); // the longest: ulong.MaxValue and long.MinValue both have 20 chars
        var dst = _chars.AsSpan(_start + _len);
        int n;
        switch (kind)
        {
            case ColumnKind.Int64: ((long)bits).TryFormat(dst, out n, default, CultureInfo.InvariantCulture); break;
            case ColumnKind.Bool: (bits != 0 ? "true" : "false").CopyTo(dst); n = bits != 0 ? 4 : 5; break;
            default: bits.TryFormat(dst, out n, default, CultureInfo.InvariantCulture); break;
        }
        _len += n;
    }

    public void String(string name, ReadOnlySpan<char> value)
    {
        Property(name);
        if (value.IndexOfAnyExcept(Plain) < 0)
        {
            Room(value.Length + 2);
            var at = _start + _len;
            _chars[at] = '"';
            value.CopyTo(_chars.AsSpan(at + 1));
            _chars[at + 1 + value.Length] = '"';
            _len += value.Length + 2;
            return;
        }
        StartSlow();
        _w.WriteStringValue(value);
        EndSlow();
    }

    /// <summary>A value from the slow path, written by ValueDecoder's own rule (including not_captured and partial).</summary>
    public void Decoded(string name, DecodedValue v)
    {
        Property(name);
        StartSlow();
        ValueDecoder.WriteJson(_w, v);
        EndSlow();
    }

    /// <summary>The object's text, a cell of the TextBuffer it was begun in.</summary>
    public ReadOnlyMemory<char> End()
    {
        Append('}');
        return _text.Close(_chars, _start, _len);
    }

    /// <summary>Writes the separator and the name, with room for <paramref name="value"/> more chars after them.</summary>
    private void Property(string name, int value = 0)
    {
        Room(name.Length + 1 + value);
        if (!_first) _chars[_start + _len++] = ',';
        _first = false;
        name.CopyTo(_chars.AsSpan(_start + _len));
        _len += name.Length;
    }

    private void StartSlow()
    {
        _buf.ResetWrittenCount();
        _w.Reset(_buf);
    }

    private void EndSlow()
    {
        _w.Flush();
        var utf8 = _buf.WrittenSpan;
        Room(utf8.Length); // never more chars than bytes
        _len += Encoding.UTF8.GetChars(utf8, _chars.AsSpan(_start + _len));
    }

    private void Append(char c)
    {
        Room(1);
        _chars[_start + _len++] = c;
    }

    private void Room(int chars)
    {
        if (_start + _len + chars > _chars.Length) _chars = _text.Grow(_chars, _start, _len, chars, out _start);
    }

    private static SearchValues<char> PlainChars()
    {
        var plain = new List<char>();
        var buf = new ArrayBufferWriter<byte>(16);
        using var w = new Utf8JsonWriter(buf);
        for (var c = '\0'; c < 128; c++)
        {
            buf.ResetWrittenCount();
            w.Reset(buf);
            w.WriteStringValue(new string(c, 1));
            w.Flush();
            if (buf.WrittenCount == 3 && buf.WrittenSpan[1] == c) plain.Add(c);
        }
        return SearchValues.Create(plain.ToArray());
    }
}
