using Parquet;
using Parquet.Schema;

namespace Calltape.Analyzer.Conversion;

/// <summary>Streams one function's typed table (ts, pid, tid, one column per parameter) to its Parquet file.</summary>
internal sealed class FunctionTable : IAsyncDisposable
{
    private static readonly DataField TsField = new DataField<long>("ts");
    private static readonly DataField PidField = new DataField<uint>("pid");
    private static readonly DataField TidField = new DataField<uint>("tid");

    /// <summary>Rows a table starts with; it grows by doubling up to a row group, so rarely hit functions stay small.</summary>
    private const int InitialRows = 4096;

    private readonly int _rowGroupRows;
    private long[] _ts;
    private uint[] _pid;
    private uint[] _tid;
    private readonly Stream _stream;
    private readonly ParquetWriter _writer;

    private FunctionTable(FunctionTableSpec spec, ParamColumn[] columns, int capacity, Stream stream, ParquetWriter writer)
    {
        Spec = spec;
        Columns = columns;
        _rowGroupRows = capacity;
        _ts = new long[Math.Min(capacity, InitialRows)];
        _pid = new uint[_ts.Length];
        _tid = new uint[_ts.Length];
        _stream = stream;
        _writer = writer;
    }

    public FunctionTableSpec Spec { get; }

    /// <summary>The parameter columns, in the order of <see cref="FunctionTableSpec.Columns"/>.</summary>
    public ParamColumn[] Columns { get; }

    /// <summary>Rows written so far, flushed or not.</summary>
    public long Rows { get; private set; }

    /// <summary>Rows buffered in the current row group.</summary>
    public int Count { get; private set; }

    public bool IsFull => Count == _rowGroupRows;

    public static async Task<FunctionTable> CreateAsync(string dir, FunctionTableSpec spec, int rowGroupRows)
    {
        var columns = spec.Columns.Select(c => new ParamColumn(c.Name, c.Kind, Math.Min(rowGroupRows, InitialRows))).ToArray();
        var schema = new ParquetSchema(new Field[] { TsField, PidField, TidField }.Concat(columns.Select(c => c.Field)));
        var stream = ParquetFiles.Create(Path.Combine(dir, spec.File));
        var options = ParquetFiles.Options(columns.Where(c => c.IsString).Select(c => c.Name));
        var writer = await ParquetWriter.CreateAsync(schema, stream, options);
        return new FunctionTable(spec, columns, rowGroupRows, stream, writer);
    }

    /// <summary>Starts a row; the caller then sets every parameter column at the returned index and calls <see cref="Commit"/>.</summary>
    public int Begin(long ts, uint pid, uint tid)
    {
        var row = Count;
        if (row == _ts.Length) Grow();
        _ts[row] = ts;
        _pid[row] = pid;
        _tid[row] = tid;
        return row;
    }

    private void Grow()
    {
        var n = (int)Math.Min((long)_ts.Length * 2, _rowGroupRows);
        Array.Resize(ref _ts, n);
        Array.Resize(ref _pid, n);
        Array.Resize(ref _tid, n);
        foreach (var c in Columns) c.Resize(n);
    }

    public void Commit()
    {
        Count++;
        Rows++;
    }

    /// <summary>Writes the buffered rows as one row group.</summary>
    public async Task FlushAsync()
    {
        if (Count == 0) return;
        using (var rg = _writer.CreateRowGroup())
        {
            await rg.WriteAsync<long>(TsField, new ReadOnlyMemory<long>(_ts, 0, Count));
            await rg.WriteAsync<uint>(PidField, new ReadOnlyMemory<uint>(_pid, 0, Count));
            await rg.WriteAsync<uint>(TidField, new ReadOnlyMemory<uint>(_tid, 0, Count));
            foreach (var c in Columns) await c.WriteAsync(rg, Count);
            rg.CompleteValidate();
        }
        Count = 0;
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        await _stream.DisposeAsync();
    }
}
