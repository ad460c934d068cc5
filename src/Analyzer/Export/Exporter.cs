using Calltape.Analyzer.Conversion;
using Calltape.Analyzer.Query;

namespace Calltape.Analyzer.Export;

/// <summary>What to write: any of the four outputs, each a file path or null.</summary>
internal sealed record ExportTargets(string? Perfetto, string? Folded, string? Csv, string? JsonLines);

/// <summary>Runs calltape export: resolves the input to Parquet (converting a capture or bundle on demand) and streams
/// each requested output from its own pass over the calls.</summary>
internal static class Exporter
{
    /// <summary>The order folded stacks need: per track (goroutines, then threads), by entry time, outer call first.</summary>
    private const string TrackOrder = "ORDER BY pid, goid IS NULL, coalesce(goid, tid), ktime, duration_ns DESC NULLS LAST";

    public static async Task<IReadOnlyList<string>> RunAsync(string input, string? binaries, ExportTargets targets, TextWriter error,
        CancellationToken ct)
    {
        var (dir, manifest) = await ParquetSource.ResolveAsync(input, binaries, error, ct);
        var spill = Directory.CreateTempSubdirectory("calltape-export-").FullName;
        try
        {
            using var source = CallSource.Open(dir, manifest, spill);
            var lines = new List<string>();
            if (targets.Perfetto is { } p) lines.Add(Perfetto(source, p, ct));
            if (targets.Folded is { } f)
                lines.Add(FoldedUserStacks.Present(source)
                    ? $"folded: {f}: {FoldedUserStacks.Write(source, dir, f)} stacks from recorded user stacks, weighted by calls"
                    : Folded(source, f, ct));
            if (targets.Csv is { } c) lines.Add(Csv(source, c));
            if (targets.JsonLines is { } j) lines.Add(JsonLines(source, j, ct));
            return lines;
        }
        finally
        {
            Directory.Delete(spill, recursive: true);
        }
    }

    private static string Perfetto(CallSource source, string path, CancellationToken ct)
    {
        using var w = new PerfettoWriter(path);
        source.Read($"SELECT {CallSource.Columns} FROM {CallSource.View}", r =>
        {
            while (r.Read())
            {
                w.Add(CallRow.Read(r));
                if ((w.Slices + w.Instants) % 65536 == 0) ct.ThrowIfCancellationRequested();
            }
        });
        w.Complete();
        return $"perfetto: {path}: {w.Slices} slices, {w.Instants} instant calls (no return seen), {w.Tracks} tracks";
    }

    private static string Folded(CallSource source, string path, CancellationToken ct)
    {
        var byTime = false;
        source.Read($"SELECT count(duration_ns) > 0 FROM {CallSource.View}", r => byTime = r.Read() && r.GetBoolean(0));
        var stacks = new FoldedStacks(byTime);
        var n = 0L;
        // Only what nesting needs is sorted: the args and results would multiply the bytes the sort spills.
        const string columns = "ts, ktime, pid, tid, goid, probe_id, function, NULL AS build_id, '' AS args, duration_ns, NULL AS ret";
        source.Read($"SELECT {columns} FROM {CallSource.View} {TrackOrder}", r =>
        {
            while (r.Read())
            {
                stacks.Add(CallRow.Read(r));
                if (++n % 65536 == 0) ct.ThrowIfCancellationRequested();
            }
        });
        using (var w = new StreamWriter(path, append: false))
            stacks.WriteTo(w);
        var unit = byTime ? "weighted by self time in ns" : "weighted by calls (no durations in the capture)";
        var skipped = stacks.Unpaired > 0 ? $"; {stacks.Unpaired} calls without a return left out" : "";
        return $"folded: {path}: {stacks.DistinctStacks} stacks, {unit}{skipped}";
    }

    private static string Csv(CallSource source, string path)
    {
        // DuckDB writes CSV itself, streaming, with RFC 4180 quoting of the JSON columns.
        source.Execute($"COPY (SELECT {CallSource.Columns} FROM {CallSource.View} ORDER BY ts) TO {QueryEngine.Literal(path)} (HEADER, DELIMITER ',')");
        return $"csv: {path}";
    }

    private static string JsonLines(CallSource source, string path, CancellationToken ct)
    {
        using var w = new JsonLinesWriter(path);
        source.Read($"SELECT {CallSource.Columns} FROM {CallSource.View} ORDER BY ts", r =>
        {
            while (r.Read())
            {
                w.Add(CallRow.Read(r));
                if (w.Rows % 65536 == 0) ct.ThrowIfCancellationRequested();
            }
        });
        w.Complete();
        return $"jsonl: {path}: {w.Rows} calls";
    }
}
