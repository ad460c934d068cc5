using System.Diagnostics;
using System.Text.Json;
using Calltape.Capture.Decoding;
using Calltape.Capture.Format;
using Calltape.Capture.Model;

namespace Calltape.Analyzer.Conversion;

/// <summary>What a conversion produced, for the summary line and the warnings.</summary>
internal sealed record ConversionResult(string OutputDir, long Events, int Functions, TimeSpan Elapsed, Trailer? Trailer,
    IReadOnlyList<string> Warnings);

/// <summary>Streams a capture into Parquet tables: calls, one typed table per function, probes, binaries and loss.</summary>
/// <remarks>
/// Memory is bounded by one row group per table: events are decoded straight into columnar buffers and each buffer
/// is written out as a row group when full. The output is built in a sibling temporary directory and renamed into
/// place, so a reader never sees half a conversion, and calltape.json (written last) marks it complete.
/// </remarks>
internal static class ParquetExporter
{
    public static async Task<ConversionResult> ConvertAsync(CaptureReader reader, string outDir, int rowGroupRows = ParquetFiles.DefaultRowGroupRows,
        CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        var work = OutputDirectory.BeginWrite(outDir);
        try
        {
            var (events, manifest) = await WriteTablesAsync(reader, work, rowGroupRows, ct);
            manifest.Write(work);
            OutputDirectory.Commit(work, outDir);
            return new ConversionResult(outDir, events, manifest.Tables.Count, sw.Elapsed, reader.Trailer, reader.Warnings.ToArray());
        }
        catch
        {
            OutputDirectory.Abandon(work);
            throw;
        }
    }

    private static async Task<(long Events, ConversionManifest Manifest)> WriteTablesAsync(CaptureReader reader, string dir, int rowGroupRows,
        CancellationToken ct)
    {
        var header = reader.Header;
        var layout = TableLayout.Plan(header);
        var tables = new List<FunctionTable>(layout.Count);
        var probes = new Dictionary<int, ProbeState>();
        await using var calls = await CallsTable.CreateAsync(dir, rowGroupRows);
        try
        {
            foreach (var spec in layout)
            {
                var table = await FunctionTable.CreateAsync(dir, spec, rowGroupRows);
                tables.Add(table);
                foreach (var id in spec.ProbeIds)
                    probes[id] = new ProbeState(header, header.Probes.First(p => p.Id == id), table);
            }

            var json = new ArgsJson();
            // Rows buffered over all function tables: with many functions, each waiting for a full row group would
            // hold functions x row group rows, so past the budget the biggest buffer is written early.
            var buffered = 0L;
            var budget = 2L * rowGroupRows;
            var clock = header.Clock;
            foreach (var ev in reader.Events())
            {
                var st = probes[ev.Probe];
                var ts = clock.ToWallNs(ev.KtimeNs);
                var table = st.Table;
                var row = table.Begin(ts, ev.Pid, ev.Tid);
                json.Begin();
                DecodeInto(st, ev, row, json);
                table.Commit();
                st.Events++;
                calls.Add(ts, ev.KtimeNs, ev.Pid, ev.Tid, ev.Probe, st.Probe.Function, st.BuildId, json.End());
                if (++buffered > budget || table.IsFull) buffered -= await FlushLargestAsync(tables, table);
                if (calls.IsFull)
                {
                    await calls.FlushAsync();
                    ct.ThrowIfCancellationRequested();
                }
            }
            // The last calls row group is written in the background while the function tables write theirs.
            await calls.FlushAsync();
            foreach (var t in tables) await t.FlushAsync();
            await calls.CompleteAsync();
        }
        finally
        {
            foreach (var t in tables) await t.DisposeAsync();
        }

        await MetaTables.WriteAsync(dir, header, layout, probes.ToDictionary(p => p.Key, p => p.Value.Events), reader.Losses);
        var manifest = new ConversionManifest(ConversionManifest.CurrentVersion, Path.GetFullPath(reader.Directory), header.CaptureId,
            calls.Rows, reader.Trailer?.Reason, reader.Warnings.ToArray(),
            layout.Select(t => new TableEntry(t.View, t.Function, t.File)).ToArray());
        return (calls.Rows, manifest);
    }

    /// <summary>Writes <paramref name="table"/> if full, else the table holding the most rows; returns the rows written.</summary>
    private static async Task<int> FlushLargestAsync(List<FunctionTable> tables, FunctionTable table)
    {
        var victim = table.IsFull ? table : tables.MaxBy(t => t.Count)!;
        var rows = victim.Count;
        await victim.FlushAsync();
        return rows;
    }

    /// <summary>Decodes every parameter of one event into its table row and the args JSON.</summary>
    private static void DecodeInto(ProbeState st, RawEvent ev, int row, ArgsJson json)
    {
        var decoders = st.Decoders;
        var columns = st.Table.Columns;
        for (var i = 0; i < decoders.Length; i++)
        {
            var d = decoders[i];
            var col = columns[i];
            switch (d.Column)
            {
                case ColumnKind.String when d.TryString(ev, out var s):
                    col.SetString(row, s!);
                    json.String(st.Names[i], s!);
                    continue;
                case ColumnKind.Int64 or ColumnKind.UInt64 or ColumnKind.Bool when d.TryScalar(ev, out var bits):
                    col.SetBits(row, bits);
                    json.Scalar(st.Names[i], d.Column, bits);
                    continue;
            }
            // Not captured, or a shape the fast path leaves alone: the library decides and explains.
            var v = ValueDecoder.DecodeParam(st.Probe, d.Spec, ev);
            col.SetDecoded(row, v.Value);
            json.Decoded(st.Names[i], v);
        }
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
        }

        public ProbeSpec Probe { get; }
        public FunctionTable Table { get; }
        public string? BuildId { get; }
        public ParamDecoder[] Decoders { get; }
        public JsonEncodedText[] Names { get; }
        public long Events { get; set; }
    }
}
