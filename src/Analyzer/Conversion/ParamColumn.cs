using Parquet;
using Parquet.Schema;

namespace Calltape.Analyzer.Conversion;

/// <summary>A row group's worth of one parameter's values, typed by its column kind; NULL when not captured.</summary>
/// <remarks>One class with a switch instead of a generic hierarchy: the convert loop stores through it per event, and a
/// switch on a readonly field is cheaper than a virtual call plus boxing.</remarks>
internal sealed class ParamColumn
{
    private long?[]? _i;
    private ulong?[]? _u;
    private bool?[]? _b;
    private ReadOnlyMemory<char>?[]? _s;
    private readonly TextBuffer _text;
    private double?[]? _d;

    /// <param name="field">The schema's field for this column (<see cref="FieldFor"/>), shared by every buffer of the table.</param>
    /// <param name="text">Where string cells are copied (shared by the columns of one row group buffer).</param>
    public ParamColumn(DataField field, ColumnKind kind, int capacity, TextBuffer text)
    {
        Field = field;
        _text = text;
        Kind = kind;
        switch (kind)
        {
            case ColumnKind.Int64: _i = new long?[capacity]; break;
            case ColumnKind.UInt64: _u = new ulong?[capacity]; break;
            case ColumnKind.Bool: _b = new bool?[capacity]; break;
            case ColumnKind.NullDouble: _d = new double?[capacity]; break;
            default: _s = new ReadOnlyMemory<char>?[capacity]; break;
        }
    }

    /// <summary>The Parquet field of a column kind: nullable BIGINT, UBIGINT, BOOLEAN, DOUBLE, or VARCHAR.</summary>
    public static DataField FieldFor(string name, ColumnKind kind) => kind switch
    {
        ColumnKind.Int64 => new DataField<long?>(name),
        ColumnKind.UInt64 => new DataField<ulong?>(name),
        ColumnKind.Bool => new DataField<bool?>(name),
        ColumnKind.NullDouble => new DataField<double?>(name),
        _ => new DataField<string>(name, nullable: true),
    };

    /// <summary>True for the kinds stored as text (dictionary-encoded).</summary>
    public static bool IsStringKind(ColumnKind kind) => kind is not (ColumnKind.Int64 or ColumnKind.UInt64 or ColumnKind.Bool or ColumnKind.NullDouble);

    public string Name => Field.Name;

    /// <summary>Grows the buffer to <paramref name="capacity"/> rows, keeping its contents.</summary>
    public void Resize(int capacity)
    {
        if (_i is not null) Array.Resize(ref _i, capacity);
        else if (_u is not null) Array.Resize(ref _u, capacity);
        else if (_b is not null) Array.Resize(ref _b, capacity);
        else if (_d is not null) Array.Resize(ref _d, capacity);
        else Array.Resize(ref _s, capacity);
    }

    public ColumnKind Kind { get; }

    public DataField Field { get; }


    /// <summary>Stores a scalar's 64 bits, as produced by <see cref="ParamDecoder.TryScalar"/>.</summary>
    public void SetBits(int row, ulong bits)
    {
        switch (Kind)
        {
            case ColumnKind.Int64: _i![row] = (long)bits; break;
            case ColumnKind.UInt64: _u![row] = bits; break;
            case ColumnKind.Bool: _b![row] = bits != 0; break;
            default: SetNull(row); break;
        }
    }

    /// <summary>Stores a string from its UTF-8 bytes (decoded once, into the row group's text) and returns its chars.</summary>
    public ReadOnlySpan<char> SetUtf8(int row, ReadOnlySpan<byte> utf8)
    {
        if (_s is null)
        {
            SetNull(row);
            return System.Text.Encoding.UTF8.GetString(utf8);
        }
        var m = _text.AddUtf8(utf8);
        _s[row] = m;
        return m.Span;
    }

    /// <summary>Stores a value from <see cref="Calltape.Capture.Decoding.ValueDecoder"/> (the slow path); a type that does not fit is NULL.</summary>
    public void SetDecoded(int row, object? value)
    {
        switch (value)
        {
            case long l when _i is not null: _i[row] = l; break;
            case ulong u when _u is not null: _u[row] = u; break;
            case bool b when _b is not null: _b[row] = b; break;
            case string s when _s is not null: _s[row] = _text.Add(s); break;
            case double d when _d is not null: _d[row] = d; break;
            default: SetNull(row); break;
        }
    }

    public void SetNull(int row)
    {
        if (_i is not null) _i[row] = null;
        else if (_u is not null) _u[row] = null;
        else if (_b is not null) _b[row] = null;
        else if (_d is not null) _d[row] = null;
        else _s![row] = null;
    }

    public Task WriteAsync(ParquetRowGroupWriter rg, int count)
    {
        if (_i is not null) return rg.WriteAsync<long>(Field, new ReadOnlyMemory<long?>(_i, 0, count));
        if (_u is not null) return rg.WriteAsync<ulong>(Field, new ReadOnlyMemory<ulong?>(_u, 0, count));
        if (_b is not null) return rg.WriteAsync<bool>(Field, new ReadOnlyMemory<bool?>(_b, 0, count));
        if (_d is not null) return rg.WriteAsync<double>(Field, new ReadOnlyMemory<double?>(_d, 0, count));
        return rg.WriteAsync<ReadOnlyMemory<char>>(Field, new ReadOnlyMemory<ReadOnlyMemory<char>?>(_s!, 0, count));
    }
}
