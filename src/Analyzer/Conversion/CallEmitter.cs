using Calltape.Capture.Decoding;
using Calltape.Capture.Model;

namespace Calltape.Analyzer.Conversion;

/// <summary>Turns one completed (or given up) call into its row of calls.parquet and of its function's table.</summary>
/// <remarks>
/// Synchronous per call: the convert loop asks <see cref="FlushDue"/> after each and only then awaits a flush, so
/// the per-event path has no async state machine. Rows buffered over all function tables are capped: with many
/// functions, each waiting for a full row group would hold functions x row group rows, so past the budget the
/// biggest buffer is written early.
/// </remarks>
internal sealed class CallEmitter(ClockSync clock, CallsTable calls, List<FunctionTable> tables, int rowGroupRows)
{
    private readonly ArgsJson _json = new();
    private readonly long _budget = 2L * rowGroupRows;
    private long _buffered;
    private FunctionTable? _full;

    /// <summary>Stack id -> a probe that recorded it (stacks.parquet names the probe's binary first).</summary>
    public Dictionary<int, int> StackProbes { get; } = new();

    /// <summary>True when a table's buffer must be written before the next call.</summary>
    public bool FlushDue => _full is not null || _buffered > _budget || calls.IsFull;

    /// <summary>One row per call, written when the call completes (its exit arrives), is given up, or the capture ends.</summary>
    public void Emit(ParquetExporter.ProbeState st, RawEvent ev, RawEvent? exitEv, ParquetExporter.ExitState? exit)
    {
        var ts = clock.ToWallNs(ev.KtimeNs);
        var table = st.Table;
        var row = table.Begin(ts, ev.Pid, ev.Tid);
        var cols = table.Columns;
        var json = _json;
        json.Begin(calls.Text);
        DecodeInto(st.Probe, st.Decoders, st.Decoders.Length, st.Names, ev, row, cols, 0, json, st.Types);
        var args = json.End();
        long? duration = null;
        long? goid = null;
        ReadOnlyMemory<char>? ret = null;
        if (st.DurationColumn >= 0)
        {
            for (var c = st.DurationColumn; c < cols.Length; c++) cols[c].SetNull(row);
            if (exitEv is not null && exit is not null)
            {
                duration = (long)(exitEv.KtimeNs - ev.KtimeNs);
                cols[st.DurationColumn].SetBits(row, (ulong)duration.Value);
                json.Begin(calls.Text);
                var n = Math.Min(exit.Decoders.Length, st.ResultColumns);
                DecodeInto(exit.Probe, exit.Decoders, n, exit.Names, exitEv, row, cols, st.DurationColumn + 1, json, exit.Types);
                ret = json.End();
                if (st.GoidColumn >= 0 && ParquetExporter.Goid(exit.Probe, exitEv) is { } g)
                {
                    cols[st.GoidColumn].SetBits(row, g);
                    goid = (long)g;
                }
            }
        }
        table.Commit();
        st.Events++;
        int? stack = null;
        if (ev.UserStack is { } us)
        {
            StackProbes.TryAdd(us.Id, ev.Probe);
            stack = us.Id;
        }
        calls.Add(ts, ev.KtimeNs, ev.Pid, ev.Tid, ev.Probe, st.FunctionText, st.BuildIdText, args, duration, ret, stack, goid);
        _buffered++;
        if (table.IsFull) _full = table;
    }

    /// <summary>Writes what <see cref="FlushDue"/> asked for: the full table, else the biggest one, and calls when full.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        if (_full is not null || _buffered > _budget)
        {
            var victim = _full ?? tables.MaxBy(t => t.Count)!;
            _buffered -= victim.Count;
            _full = null;
            await victim.FlushAsync();
        }
        if (calls.IsFull)
        {
            await calls.FlushAsync();
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Decodes parameters of one event into a row's columns from <paramref name="first"/> on, and into the JSON.</summary>
    private static void DecodeInto(ProbeSpec probe, ParamDecoder[] decoders, int count, string[] names, RawEvent ev, int row,
        ParamColumn[] columns, int first, ArgsJson json, IDynamicTypes? types)
    {
        for (var i = 0; i < count; i++)
        {
            var d = decoders[i];
            var col = columns[first + i];
            switch (d.Column)
            {
                case ColumnKind.String when d.TryUtf8(ev, out var utf8):
                    json.String(names[i], col.SetUtf8(row, utf8));
                    continue;
                case ColumnKind.Int64 or ColumnKind.UInt64 or ColumnKind.Bool when d.TryScalar(ev, out var bits):
                    col.SetBits(row, bits);
                    json.Scalar(names[i], d.Column, bits);
                    continue;
            }
            // Not captured, or a shape the fast path leaves alone: the library decides and explains.
            var v = ValueDecoder.DecodeParam(probe, d.Spec, ev, types);
            d.SetColumn(col, row, ev, v);
            json.Decoded(names[i], v);
        }
    }
}
