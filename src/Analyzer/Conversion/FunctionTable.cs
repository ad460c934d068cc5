using Parquet;
using Parquet.Schema;

namespace Calltape.Analyzer.Conversion;

/// <summary>Streams one function's typed table (ts, pid, tid, one column per parameter) to its Parquet file.</summary>
/// <remarks>
/// Double-buffered like <see cref="CallsTable"/>: a full batch is encoded on the thread pool while the convert loop
/// fills the other one, so Parquet encoding overlaps decoding (bench/convert.sh).
/// </remarks>
internal sealed class FunctionTable : IAsyncDisposable
{
    private static readonly DataField TsField = new DataField<long>("ts");
    private static readonly DataField PidField = new DataField<uint>("pid");
    private static readonly DataField TidField = new DataField<uint>("tid");

    /// <summary>Rows a table starts with; it grows by doubling up to a row group, so rarely hit functions stay small.</summary>
    private const int InitialRows = 4096;

    private readonly int _rowGroupRows;
    private readonly Stream _stream;
    private readonly ParquetWriter _writer;
    private readonly DoubleBuffer<Batch> _rows;

    private FunctionTable(FunctionTableSpec spec, DataField[] fields, int rowGroupRows, Stream stream, ParquetWriter writer)
    {
        Spec = spec;
        _rowGroupRows = rowGroupRows;
        _rows = new DoubleBuffer<Batch>(new Batch(spec, fields, Math.Min(rowGroupRows, InitialRows)), b => b.Count,
            full => new Batch(spec, fields, full.Ts.Length), WriteAsync);
        _stream = stream;
        _writer = writer;
    }

    public FunctionTableSpec Spec { get; }

    /// <summary>The parameter columns of the batch being filled, in the order of <see cref="FunctionTableSpec.Columns"/>.</summary>
    /// <remarks>Swapped by <see cref="FlushAsync"/>: read it again after every flush.</remarks>
    public ParamColumn[] Columns => _rows.Current.Columns;

    /// <summary>Rows written so far, flushed or not.</summary>
    public long Rows { get; private set; }

    /// <summary>Rows buffered in the current row group.</summary>
    public int Count => _rows.Current.Count;

    public bool IsFull => _rows.Current.Count == _rowGroupRows;

    public static async Task<FunctionTable> CreateAsync(string dir, FunctionTableSpec spec, int rowGroupRows)
    {
        var fields = spec.Columns.Select(c => ParamColumn.FieldFor(c.Name, c.Kind)).ToArray();
        var schema = new ParquetSchema(new[] { TsField, PidField, TidField }.Concat(fields));
        var stream = ParquetFiles.Create(Path.Combine(dir, spec.File));
        var writer = await ParquetWriter.CreateAsync(schema, stream, WriterOptions(fields));
        return new FunctionTable(spec, fields, rowGroupRows, stream, writer);
    }

    /// <summary>The writer settings of a function's table, given its parameter columns' fields (bench/parquetfloor writes
    /// with them too): strings dictionary-encoded, 64-bit integers (arguments, results, duration_ns, goid) delta-encoded.</summary>
    /// <remarks>
    /// Delta on the 64-bit columns: on bench/convert.sh's capture it took half the CPU of PLAIN plus zstd and wrote
    /// fewer bytes (a counter or an id shrinks to almost nothing, random values lose ~10%; only duration_ns grew, by
    /// 1.5%). Parquet.Net falls back to PLAIN by itself when a UBIGINT's values do not fit its delta arithmetic.
    /// pid and tid stay PLAIN: nearly constant, zstd makes them vanish for less than delta costs.
    /// </remarks>
    public static ParquetOptions WriterOptions(IEnumerable<DataField> paramFields)
    {
        var fields = paramFields.ToList();
        var strings = fields.Where(f => f.ClrType == typeof(string)).Select(f => f.Name);
        var deltas = fields.Where(f => f.ClrType == typeof(long) || f.ClrType == typeof(ulong)).Select(f => f.Name);
        return ParquetFiles.Options(strings, [TsField.Name, .. deltas]);
    }

    /// <summary>Starts a row; the caller then sets every parameter column at the returned index and calls <see cref="Commit"/>.</summary>
    public int Begin(long ts, uint pid, uint tid)
    {
        var b = _rows.Current;
        var row = b.Count;
        if (row == b.Ts.Length) b.Grow((int)Math.Min((long)row * 2, _rowGroupRows));
        b.Ts[row] = ts;
        b.Pid[row] = pid;
        b.Tid[row] = tid;
        return row;
    }

    public void Commit()
    {
        _rows.Current.Count++;
        Rows++;
    }

    /// <summary>Starts writing the buffered rows as one row group; returns once the other buffer is free to fill.</summary>
    public Task FlushAsync() => _rows.FlushAsync();

    /// <summary>Flushes what is buffered and waits for every write to finish.</summary>
    public Task CompleteAsync() => _rows.CompleteAsync();

    private async Task WriteAsync(Batch b)
    {
        var n = b.Count;
        using (var rg = _writer.CreateRowGroup())
        {
            await rg.WriteAsync<long>(TsField, new ReadOnlyMemory<long>(b.Ts, 0, n));
            await rg.WriteAsync<uint>(PidField, new ReadOnlyMemory<uint>(b.Pid, 0, n));
            await rg.WriteAsync<uint>(TidField, new ReadOnlyMemory<uint>(b.Tid, 0, n));
            foreach (var c in b.Columns) await c.WriteAsync(rg, n);
            rg.CompleteValidate();
        }
        b.Count = 0;
        b.Text.Reset();
    }

    public async ValueTask DisposeAsync()
    {
        await _rows.SettleAsync(); // never leave a write running against a disposed stream
        await _writer.DisposeAsync();
        await _stream.DisposeAsync();
    }

    /// <summary>One row group's columns.</summary>
    private sealed class Batch
    {
        public Batch(FunctionTableSpec spec, DataField[] fields, int capacity)
        {
            Ts = new long[capacity];
            Pid = new uint[capacity];
            Tid = new uint[capacity];
            Columns = spec.Columns.Select((c, i) => new ParamColumn(fields[i], c.Kind, capacity, Text)).ToArray();
        }

        public long[] Ts;
        public uint[] Pid;
        public uint[] Tid;
        public readonly ParamColumn[] Columns;
        public readonly TextBuffer Text = new();
        public int Count;

        public void Grow(int n)
        {
            Array.Resize(ref Ts, n);
            Array.Resize(ref Pid, n);
            Array.Resize(ref Tid, n);
            foreach (var c in Columns) c.Resize(n);
        }
    }
}
