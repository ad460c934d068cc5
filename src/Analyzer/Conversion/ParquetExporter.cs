using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using Calltape.Capture.Decoding;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Capture.Pairing;

namespace Calltape.Analyzer.Conversion;

/// <summary>What a conversion produced, for the summary line and the warnings.</summary>
internal sealed record ConversionResult(string OutputDir, long Events, int Functions, TimeSpan Elapsed, Trailer? Trailer,
    IReadOnlyList<string> Warnings)
{
    /// <summary>How exits paired with entries; null when the capture has no exit probes.</summary>
    public ReturnStats? Returns { get; init; }
}

/// <summary>Calls completed by their return, returns with no open call, and calls that never returned in the capture.</summary>
internal sealed record ReturnStats(long Paired, long UnmatchedExits, long Unclosed);

/// <summary>Streams a capture into Parquet tables: calls, one typed table per function, probes, binaries and loss.</summary>
/// <remarks>
/// With exit probes, a call's row is written when its return arrives (or it is given up), so rows are in completion
/// order; open calls are held by a <see cref="CallPairer{T}"/>, bounded per goroutine or thread.
/// Memory is bounded by one row group per table: events are decoded straight into columnar buffers and each buffer
/// is written out as a row group when full. The output is built in a sibling temporary directory and renamed into
/// place, so a reader never sees half a conversion, and calltape.json (written last) marks it complete.
/// </remarks>
internal static class ParquetExporter
{
    /// <param name="types">Interface dynamic-type names per binary index (Binaries/DynamicTypes); null leaves them unknown.</param>
    public static async Task<ConversionResult> ConvertAsync(CaptureReader reader, string outDir, int rowGroupRows = ParquetFiles.DefaultRowGroupRows,
        CancellationToken ct = default, Func<int, IDynamicTypes?>? types = null)
    {
        var sw = Stopwatch.StartNew();
        var work = OutputDirectory.BeginWrite(outDir);
        try
        {
            var pairer = new CallPairer<RawEvent>();
            var (events, manifest) = await WriteTablesAsync(reader, work, rowGroupRows, pairer, ct, types);
            manifest.Write(work);
            OutputDirectory.Commit(work, outDir);
            var returns = reader.Header.Probes.Any(p => p.Kind == ProbeKind.Exit)
                ? new ReturnStats(pairer.Paired, pairer.UnmatchedExits, pairer.Unclosed) : null;
            return new ConversionResult(outDir, events, manifest.Tables.Count, sw.Elapsed, reader.Trailer, reader.Warnings.ToArray())
            {
                Returns = returns,
            };
        }
        catch
        {
            OutputDirectory.Abandon(work);
            throw;
        }
    }

    private static async Task<(long Events, ConversionManifest Manifest)> WriteTablesAsync(CaptureReader reader, string dir, int rowGroupRows,
        CallPairer<RawEvent> pairer, CancellationToken ct, Func<int, IDynamicTypes?>? types)
    {
        var header = reader.Header;
        var layout = TableLayout.Plan(header);
        var tables = new List<FunctionTable>(layout.Count);
        var probes = new Dictionary<int, ProbeState>();
        var exits = header.Probes.Where(p => p.Kind == ProbeKind.Exit).ToDictionary(p => p.Id, p => new ExitState(p) { Types = TypesFor(p, types) });
        await using var calls = await CallsTable.CreateAsync(dir, rowGroupRows);
        try
        {
            foreach (var spec in layout)
            {
                var table = await FunctionTable.CreateAsync(dir, spec, rowGroupRows);
                tables.Add(table);
                foreach (var id in spec.ProbeIds)
                {
                    var probe = header.Probes.First(p => p.Id == id);
                    probes[id] = new ProbeState(header, probe, table) { Types = TypesFor(probe, types) };
                }
            }

            var json = new ArgsJson();
            // Rows buffered over all function tables: with many functions, each waiting for a full row group would
            // hold functions x row group rows, so past the budget the biggest buffer is written early.
            var buffered = 0L;
            var budget = 2L * rowGroupRows;
            var clock = header.Clock;
            var abandoned = new List<RawEvent>();

            // One row per call, written when the call completes (its exit arrives), is given up, or the capture ends.
            async Task EmitAsync(RawEvent ev, RawEvent? exitEv, ExitState? exit)
            {
                var st = probes[ev.Probe];
                var ts = clock.ToWallNs(ev.KtimeNs);
                var table = st.Table;
                var row = table.Begin(ts, ev.Pid, ev.Tid);
                json.Begin();
                DecodeInto(st.Probe, st.Decoders, st.Decoders.Length, st.Names, ev, row, table.Columns, 0, json, st.Types);
                var args = json.End();
                long? duration = null;
                string? ret = null;
                if (st.DurationColumn >= 0)
                {
                    var cols = table.Columns;
                    for (var c = st.DurationColumn; c < cols.Length; c++) cols[c].SetNull(row);
                    if (exitEv is not null && exit is not null)
                    {
                        duration = (long)(exitEv.KtimeNs - ev.KtimeNs);
                        cols[st.DurationColumn].SetBits(row, (ulong)duration.Value);
                        json.Begin();
                        var n = Math.Min(exit.Decoders.Length, st.ResultColumns);
                        DecodeInto(exit.Probe, exit.Decoders, n, exit.Names, exitEv, row, cols, st.DurationColumn + 1, json, exit.Types);
                        ret = json.End();
                        if (st.GoidColumn >= 0 && Goid(exit.Probe, exitEv) is { } g) cols[st.GoidColumn].SetBits(row, g);
                    }
                }
                table.Commit();
                st.Events++;
                calls.Add(ts, ev.KtimeNs, ev.Pid, ev.Tid, ev.Probe, st.Probe.Function, st.BuildId, args, duration, ret);
                if (++buffered > budget || table.IsFull) buffered -= await FlushLargestAsync(tables, table);
                if (calls.IsFull)
                {
                    await calls.FlushAsync();
                    ct.ThrowIfCancellationRequested();
                }
            }

            foreach (var ev in reader.Events())
            {
                if (exits.TryGetValue(ev.Probe, out var exit))
                {
                    exit.Events++;
                    abandoned.Clear();
                    var matched = pairer.TryExit(CallKey.Of(exit.Probe, ev), exit.Probe.EntryProbe, out var entry, abandoned)
                        && probes.ContainsKey(entry.Probe);
                    foreach (var a in abandoned) await EmitAsync(a, null, null);
                    if (matched) await EmitAsync(entry, ev, exit);
                    continue;
                }
                var st = probes[ev.Probe];
                if (st.DurationColumn >= 0)
                {
                    if (pairer.Enter(CallKey.Of(st.Probe, ev), ev.Probe, ev, out var evicted)) await EmitAsync(evicted, null, null);
                    continue;
                }
                await EmitAsync(ev, null, null);
            }
            foreach (var open in pairer.Drain().OrderBy(e => e.KtimeNs)) await EmitAsync(open, null, null);

            // The last calls row group is written in the background while the function tables write theirs.
            await calls.FlushAsync();
            foreach (var t in tables) await t.FlushAsync();
            await calls.CompleteAsync();
        }
        finally
        {
            foreach (var t in tables) await t.DisposeAsync();
        }

        var counts = probes.ToDictionary(p => p.Key, p => p.Value.Events);
        foreach (var (id, e) in exits) counts[id] = e.Events;
        await MetaTables.WriteAsync(dir, header, layout, counts, reader.Losses);
        var manifest = new ConversionManifest(ConversionManifest.CurrentVersion, Path.GetFullPath(reader.Directory), header.CaptureId,
            calls.Rows, reader.Trailer?.Reason, reader.Warnings.ToArray(),
            layout.Select(t => new TableEntry(t.View, t.Function, t.File)).ToArray());
        // Events read: one row per entry, plus the exits that completed (or failed to complete) those rows.
        return (calls.Rows + exits.Values.Sum(e => e.Events), manifest);
    }

    /// <summary>runtime.g.goid from an exit record's dereference (8 bytes, little-endian), or null when unreadable.</summary>
    private static ulong? Goid(ProbeSpec exit, RawEvent ev)
    {
        var i = exit.GoidDeref;
        if (i < 0 || i >= ev.Derefs.Length) return null;
        var d = ev.Derefs[i];
        return d.Error == 0 && d.Data.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(d.Data) : null;
    }

    /// <summary>Writes <paramref name="table"/> if full, else the table holding the most rows; returns the rows written.</summary>
    private static async Task<int> FlushLargestAsync(List<FunctionTable> tables, FunctionTable table)
    {
        var victim = table.IsFull ? table : tables.MaxBy(t => t.Count)!;
        var rows = victim.Count;
        await victim.FlushAsync();
        return rows;
    }

    /// <summary>Decodes parameters of one event into a row's columns from <paramref name="first"/> on, and into the JSON.</summary>
    private static void DecodeInto(ProbeSpec probe, ParamDecoder[] decoders, int count, JsonEncodedText[] names, RawEvent ev, int row,
        ParamColumn[] columns, int first, ArgsJson json, IDynamicTypes? types)
    {
        for (var i = 0; i < count; i++)
        {
            var d = decoders[i];
            var col = columns[first + i];
            switch (d.Column)
            {
                case ColumnKind.String when d.TryString(ev, out var s):
                    col.SetString(row, s!);
                    json.String(names[i], s!);
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

    /// <summary>The dynamic-type names a probe's interfaces need, opening its binary only if it has any.</summary>
    private static IDynamicTypes? TypesFor(ProbeSpec probe, Func<int, IDynamicTypes?>? types) =>
        types is not null && Binaries.DynamicTypes.Needed(probe) ? types(probe.Binary) : null;

    /// <summary>An exit probe's decoders for the results.</summary>
    private sealed class ExitState(ProbeSpec probe)
    {
        public ProbeSpec Probe { get; } = probe;
        public ParamDecoder[] Decoders { get; } = probe.Params.Select(p => new ParamDecoder(probe, p)).ToArray();
        public JsonEncodedText[] Names { get; } = probe.Params.Select(p => JsonEncodedText.Encode(p.Name)).ToArray();
        public long Events { get; set; }
        public IDynamicTypes? Types { get; init; }
    }

    /// <summary>Per-probe state of the convert loop, resolved once from the header.</summary>
    private sealed class ProbeState
    {
        public ProbeState(SessionHeader header, ProbeSpec probe, FunctionTable table)
        {
            Probe = probe;
            Table = table;
            BuildId = ProbeText.BuildId(header, probe);
            Decoders = probe.Params.Select(p => new ParamDecoder(probe, p)).ToArray();
            Names = probe.Params.Select(p => JsonEncodedText.Encode(p.Name)).ToArray();
            var cols = table.Spec.Columns;
            DurationColumn = FindRole(cols, ColumnRole.Duration);
            GoidColumn = FindRole(cols, ColumnRole.Goid);
            ResultColumns = cols.Count(c => c.Role == ColumnRole.Result);
        }

        private static int FindRole(IReadOnlyList<ColumnSpec> cols, ColumnRole role)
        {
            for (var i = 0; i < cols.Count; i++)
                if (cols[i].Role == role) return i;
            return -1;
        }

        /// <summary>The duration_ns column, or -1 when the function's returns were not probed; results follow it.</summary>
        public int DurationColumn { get; }
        public int GoidColumn { get; }
        public int ResultColumns { get; }

        public ProbeSpec Probe { get; }
        public FunctionTable Table { get; }
        public string? BuildId { get; }
        public ParamDecoder[] Decoders { get; }
        public JsonEncodedText[] Names { get; }
        public long Events { get; set; }
        public IDynamicTypes? Types { get; init; }
    }
}
