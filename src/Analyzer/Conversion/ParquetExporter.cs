using System.Buffers.Binary;
using System.Diagnostics;
using Calltape.Capture.Decoding;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Capture.Pairing;
using Calltape.Analyzer.Stacks;

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
/// Memory is bounded by two row groups per table: events are parsed on their own thread (<see cref="EventPump"/>),
/// decoded straight into columnar buffers, and each full buffer is written out as a row group in the background
/// while the other fills. The output is built in a sibling temporary directory and renamed into
/// place, so a reader never sees half a conversion, and calltape.json (written last) marks it complete.
/// </remarks>
internal static class ParquetExporter
{
    /// <param name="binaries">Where to look for the traced binaries first (--binaries), to symbolize user stacks.</param>
    /// <param name="types">Interface dynamic-type names per binary index (Binaries/DynamicTypes); null leaves them unknown.</param>
    public static async Task<ConversionResult> ConvertAsync(CaptureReader reader, string outDir, int rowGroupRows = ParquetFiles.DefaultRowGroupRows,
        CancellationToken ct = default, string? binaries = null, Func<int, IDynamicTypes?>? types = null)
    {
        var sw = Stopwatch.StartNew();
        var work = OutputDirectory.BeginWrite(outDir);
        try
        {
            var pairer = new CallPairer<RawEvent>();
            var stacks = new StackResolver(reader.Header, binaries, reader.Mappings);
            var (events, manifest) = await WriteTablesAsync(reader, work, rowGroupRows, pairer, stacks, ct, types);
            manifest.Write(work);
            OutputDirectory.Commit(work, outDir);
            var returns = reader.Header.Probes.Any(p => p.Kind == ProbeKind.Exit)
                ? new ReturnStats(pairer.Paired, pairer.UnmatchedExits, pairer.Unclosed) : null;
            return new ConversionResult(outDir, events, manifest.Tables.Count, sw.Elapsed, reader.Trailer, [.. reader.Warnings, .. stacks.Warnings])
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
        CallPairer<RawEvent> pairer, StackResolver stacks, CancellationToken ct, Func<int, IDynamicTypes?>? types)
    {
        var header = reader.Header;
        var layout = TableLayout.Plan(header);
        var tables = new List<FunctionTable>(layout.Count);
        // Per-probe state indexed by probe id (ids are small and dense: the recorder numbers them from 0).
        var maxId = header.Probes.Count == 0 ? 0 : header.Probes.Max(p => p.Id);
        var probes = new ProbeState?[maxId + 1];
        var exits = new ExitState?[maxId + 1];
        foreach (var p in header.Probes.Where(p => p.Kind == ProbeKind.Exit)) exits[p.Id] = new ExitState(p) { Types = TypesFor(p, types) };
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
            var emitter = new CallEmitter(header.Clock, calls, tables, rowGroupRows);
            var abandoned = new List<RawEvent>();
            await using (var pump = new EventPump(reader))
            {
                await foreach (var (batch, count) in pump.Batches(ct))
                {
                    for (var i = 0; i < count; i++)
                    {
                        var ev = batch[i];
                        if ((uint)ev.Probe < (uint)exits.Length && exits[ev.Probe] is { } exit)
                        {
                            exit.Events++;
                            abandoned.Clear();
                            var matched = pairer.TryExit(CallKey.Of(exit.Flow, ev), exit.Probe.EntryProbe, out var entry, abandoned)
                                && (uint)entry.Probe < (uint)probes.Length && probes[entry.Probe] is not null;
                            foreach (var a in abandoned)
                            {
                                // Every Emit needs a free row in its tables: flush between them.
                                emitter.Emit(probes[a.Probe]!, a, null, null);
                                if (emitter.FlushDue) await emitter.FlushAsync(ct);
                            }
                            if (matched) emitter.Emit(probes[entry.Probe]!, entry, ev, exit);
                        }
                        else
                        {
                            var st = probes[ev.Probe]!;
                            if (st.DurationColumn < 0) emitter.Emit(st, ev, null, null);
                            else if (pairer.Enter(CallKey.Of(st.Flow, ev), ev.Probe, ev, out var evicted))
                                emitter.Emit(probes[evicted.Probe]!, evicted, null, null);
                        }
                        if (emitter.FlushDue) await emitter.FlushAsync(ct);
                    }
                    pump.Recycle(batch);
                }
            }
            foreach (var open in pairer.Drain().OrderBy(e => e.KtimeNs))
            {
                emitter.Emit(probes[open.Probe]!, open, null, null);
                if (emitter.FlushDue) await emitter.FlushAsync(ct);
            }

            // The last row groups of every table are written in the background, side by side.
            await calls.FlushAsync();
            foreach (var t in tables) await t.FlushAsync();
            await calls.CompleteAsync();
            foreach (var t in tables) await t.CompleteAsync();
            await StacksTable.WriteAsync(dir, header, reader.Stacks, emitter.StackProbes, stacks);
        }
        finally
        {
            foreach (var t in tables) await t.DisposeAsync();
        }

        var counts = new Dictionary<int, long>();
        foreach (var st in probes)
            if (st is not null) counts[st.Probe.Id] = st.Events;
        foreach (var e in exits)
            if (e is not null) counts[e.Probe.Id] = e.Events;
        await MetaTables.WriteAsync(dir, header, layout, counts, reader.Losses);
        var manifest = new ConversionManifest(ConversionManifest.CurrentVersion, Path.GetFullPath(reader.Directory), header.CaptureId,
            calls.Rows, reader.Trailer?.Reason, reader.Warnings.ToArray(),
            layout.Select(t => new TableEntry(t.View, t.Function, t.File)).ToArray());
        // Events read: one row per entry, plus the exits that completed (or failed to complete) those rows.
        return (calls.Rows + exits.Sum(e => e?.Events ?? 0), manifest);
    }

    /// <summary>runtime.g.goid from an exit record's dereference (8 bytes, little-endian), or null when unreadable.</summary>
    internal static ulong? Goid(ProbeSpec exit, RawEvent ev)
    {
        var i = exit.GoidDeref;
        if (i < 0 || i >= ev.Derefs.Length) return null;
        var d = ev.Derefs[i];
        return d.Error == 0 && d.Data.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(d.Data) : null;
    }

    /// <summary>The dynamic-type names a probe's interfaces need, opening its binary only if it has any.</summary>
    private static IDynamicTypes? TypesFor(ProbeSpec probe, Func<int, IDynamicTypes?>? types) =>
        types is not null && Binaries.DynamicTypes.Needed(probe) ? types(probe.Binary) : null;

    /// <summary>An exit probe's decoders for the results.</summary>
    internal sealed class ExitState(ProbeSpec probe)
    {
        public ProbeSpec Probe { get; } = probe;
        /// <summary>CallKey.FlowRegister of the probe.</summary>
        public int Flow { get; } = CallKey.FlowRegister(probe);
        public ParamDecoder[] Decoders { get; } = probe.Params.Select(p => new ParamDecoder(probe, p)).ToArray();
        public string[] Names { get; } = probe.Params.Select(p => ArgsJson.Name(p.Name)).ToArray();
        public long Events { get; set; }
        public IDynamicTypes? Types { get; init; }
    }

    /// <summary>Per-probe state of the convert loop, resolved once from the header.</summary>
    internal sealed class ProbeState
    {
        public ProbeState(SessionHeader header, ProbeSpec probe, FunctionTable table)
        {
            Probe = probe;
            Flow = CallKey.FlowRegister(probe);
            Table = table;
            FunctionText = probe.Function.AsMemory();
            // Not "?.AsMemory()" alone: null must stay a NULL cell, not become an empty ReadOnlyMemory.
            BuildIdText = ProbeText.BuildId(header, probe) is { } id ? id.AsMemory() : null;
            Decoders = probe.Params.Select(p => new ParamDecoder(probe, p)).ToArray();
            Names = probe.Params.Select(p => ArgsJson.Name(p.Name)).ToArray();
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
        /// <summary>CallKey.FlowRegister of the probe.</summary>
        public int Flow { get; }
        public FunctionTable Table { get; }
        /// <summary>calls.function and calls.build_id of every row of this probe, shared by all of them.</summary>
        public ReadOnlyMemory<char> FunctionText { get; }
        public ReadOnlyMemory<char>? BuildIdText { get; }
        public ParamDecoder[] Decoders { get; }
        /// <summary>Each parameter's JSON property prefix (ArgsJson.Name).</summary>
        public string[] Names { get; }
        public long Events { get; set; }
        public IDynamicTypes? Types { get; init; }
    }
}
