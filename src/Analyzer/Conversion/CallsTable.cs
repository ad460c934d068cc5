using Parquet;
using Parquet.Schema;

namespace Calltape.Analyzer.Conversion;

/// <summary>Streams calls.parquet: one row per call with its time, thread, probe, function, build-id, args JSON, and (with
/// exit probes) its duration, results JSON and goroutine id, NULL when the call has no matched return; and the id of
/// its user stack in stacks.parquet (calltape-record --stack), else NULL.</summary>
/// <remarks>
/// Double-buffered: a full batch is written on the thread pool while the convert loop fills the other, because
/// encoding and compressing this table costs about as much as reading and decoding the capture.
/// </remarks>
internal sealed class CallsTable : IAsyncDisposable
{
    public const string FileName = "calls.parquet";

    private static readonly DataField TsField = new DataField<long>("ts");
    private static readonly DataField KtimeField = new DataField<long>("ktime");
    private static readonly DataField PidField = new DataField<uint>("pid");
    private static readonly DataField TidField = new DataField<uint>("tid");
    private static readonly DataField ProbeField = new DataField<int>("probe_id");
    private static readonly DataField FunctionField = new DataField<string>("function", nullable: false);
    private static readonly DataField BuildIdField = new DataField<string>("build_id", nullable: true);
    private static readonly DataField ArgsField = new DataField<string>("args", nullable: false);
    private static readonly DataField DurationField = new DataField<long?>("duration_ns");
    private static readonly DataField RetField = new DataField<string>("ret", nullable: true);
    private static readonly DataField StackField = new DataField<int?>("stack_id");
    // The goid is also in the function's table; here too so export and replay need no join to find a call's goroutine.
    private static readonly DataField GoidField = new DataField<long?>("goid");

    private readonly Stream _stream;
    private readonly ParquetWriter _writer;
    private readonly int _capacity;
    private readonly DoubleBuffer<Batch> _rows;

    private CallsTable(int capacity, Stream stream, ParquetWriter writer)
    {
        _capacity = capacity;
        _rows = new DoubleBuffer<Batch>(new Batch(capacity), b => b.Count, _ => new Batch(capacity), WriteAsync);
        _stream = stream;
        _writer = writer;
    }

    public long Rows { get; private set; }

    public bool IsFull => _rows.Current.Count == _capacity;

    public static async Task<CallsTable> CreateAsync(string dir, int rowGroupRows)
    {
        var schema = new ParquetSchema(TsField, KtimeField, PidField, TidField, ProbeField, FunctionField, BuildIdField, ArgsField, DurationField, RetField, StackField, GoidField);
        var stream = ParquetFiles.Create(Path.Combine(dir, FileName));
        // args is nearly unique per row: a dictionary only costs time there, and measured files came out larger.
        var writer = await ParquetWriter.CreateAsync(schema, stream, WriterOptions());
        return new CallsTable(rowGroupRows, stream, writer);
    }

    /// <summary>The writer settings of calls.parquet (bench/parquetfloor writes with them too).</summary>
    /// <remarks>duration_ns and goid are delta-encoded for the reason FunctionTable.WriterOptions gives.</remarks>
    public static ParquetOptions WriterOptions() =>
        ParquetFiles.Options([FunctionField.Name, BuildIdField.Name], [TsField.Name, KtimeField.Name, DurationField.Name, GoidField.Name]);

    /// <remarks>function and buildId are the probe's shared instances, so the buffers hold references, not copies.</remarks>
    /// <param name="args">Text written into <see cref="Text"/>, as is <paramref name="ret"/>.</param>
    public void Add(long ts, ulong ktime, uint pid, uint tid, int probe, ReadOnlyMemory<char> function, ReadOnlyMemory<char>? buildId, ReadOnlyMemory<char> args,
        long? durationNs = null, ReadOnlyMemory<char>? ret = null, int? stackId = null, long? goid = null)
    {
        var b = _rows.Current;
        var row = b.Count++;
        b.Ts[row] = ts;
        b.Ktime[row] = (long)ktime;
        b.Pid[row] = pid;
        b.Tid[row] = tid;
        b.Probe[row] = probe;
        b.Function[row] = function;
        b.BuildId[row] = buildId;
        b.Args[row] = args;
        b.Duration[row] = durationNs;
        b.Ret[row] = ret;
        b.Goid[row] = goid;
        b.Stack[row] = stackId;
        Rows++;
    }

    /// <summary>The text of the buffer being filled, where the next <see cref="Add"/>'s args and ret cells are written (so
    /// use it only when <see cref="IsFull"/> is false: a flush swaps the buffer).</summary>
    public TextBuffer Text => _rows.Current.Text;

    /// <summary>Starts writing the buffered rows as one row group and returns once the other buffer is free to fill.</summary>
    public Task FlushAsync() => _rows.FlushAsync();

    /// <summary>Flushes what is buffered and waits for every write to finish.</summary>
    public Task CompleteAsync() => _rows.CompleteAsync();

    private async Task WriteAsync(Batch b)
    {
        var n = b.Count;
        using (var rg = _writer.CreateRowGroup())
        {
            await rg.WriteAsync<long>(TsField, new ReadOnlyMemory<long>(b.Ts, 0, n));
            await rg.WriteAsync<long>(KtimeField, new ReadOnlyMemory<long>(b.Ktime, 0, n));
            await rg.WriteAsync<uint>(PidField, new ReadOnlyMemory<uint>(b.Pid, 0, n));
            await rg.WriteAsync<uint>(TidField, new ReadOnlyMemory<uint>(b.Tid, 0, n));
            await rg.WriteAsync<int>(ProbeField, new ReadOnlyMemory<int>(b.Probe, 0, n));
            await rg.WriteAsync<ReadOnlyMemory<char>>(FunctionField, new ReadOnlyMemory<ReadOnlyMemory<char>>(b.Function, 0, n));
            await rg.WriteAsync<ReadOnlyMemory<char>>(BuildIdField, new ReadOnlyMemory<ReadOnlyMemory<char>?>(b.BuildId, 0, n));
            await rg.WriteAsync<ReadOnlyMemory<char>>(ArgsField, new ReadOnlyMemory<ReadOnlyMemory<char>>(b.Args, 0, n));
            await rg.WriteAsync<long>(DurationField, new ReadOnlyMemory<long?>(b.Duration, 0, n));
            await rg.WriteAsync<ReadOnlyMemory<char>>(RetField, new ReadOnlyMemory<ReadOnlyMemory<char>?>(b.Ret, 0, n));
            await rg.WriteAsync<int>(StackField, new ReadOnlyMemory<int?>(b.Stack, 0, n));
            await rg.WriteAsync<long>(GoidField, new ReadOnlyMemory<long?>(b.Goid, 0, n));
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
    private sealed class Batch(int capacity)
    {
        public readonly long[] Ts = new long[capacity], Ktime = new long[capacity];
        public readonly uint[] Pid = new uint[capacity], Tid = new uint[capacity];
        public readonly int[] Probe = new int[capacity];
        // function and build_id point at the probe's own strings; args and ret are copied into Text (see TextBuffer).
        public readonly ReadOnlyMemory<char>[] Function = new ReadOnlyMemory<char>[capacity], Args = new ReadOnlyMemory<char>[capacity];
        public readonly ReadOnlyMemory<char>?[] BuildId = new ReadOnlyMemory<char>?[capacity], Ret = new ReadOnlyMemory<char>?[capacity];
        public readonly TextBuffer Text = new();
        public readonly long?[] Duration = new long?[capacity], Goid = new long?[capacity];
        public readonly int?[] Stack = new int?[capacity];
        public int Count;
    }
}
