using System.Data.Common;
using Calltape.Analyzer.Conversion;
using Calltape.Analyzer.Query;
using Calltape.Capture;
using DuckDB.NET.Data;

namespace Calltape.Analyzer.Export;

/// <summary>The calls of one converted capture as a stream of rows, each with the goroutine id of its function table.</summary>
/// <remarks>
/// export and diff must work on captures far larger than memory, so this opens its own DuckDB with a memory limit and
/// a spill directory rather than the query verb's engine (whose configuration is locked before user SQL runs): the
/// goid join and any ORDER BY then spill to disk instead of growing the process. calls.parquet has no goid column;
/// it lives in the per-function tables, joined back on (function, ts, pid, tid), which identify a call.
/// </remarks>
internal sealed class CallSource : IDisposable
{
    /// <summary>The view every query here reads: calls plus goid (NULL for calls that are not Go or never returned).</summary>
    public const string View = "export_calls";

    /// <summary>calls.parquet alone, for queries that need no goid (and so no join).</summary>
    public const string PlainView = "plain_calls";

    /// <summary>The columns of <see cref="View"/>, in order; <see cref="CallRow"/> reads them by position.</summary>
    public const string Columns = "ts, ktime, pid, tid, goid, probe_id, function, build_id, args, duration_ns, ret";

    private readonly DuckDBConnection _conn;

    private CallSource(DuckDBConnection conn) => _conn = conn;

    public static CallSource Open(string parquetDir, ConversionManifest manifest, string spillDir)
    {
        var conn = OfflineDuckDb.Open();
        try
        {
            var calls = $"read_parquet({QueryEngine.Literal(Path.Combine(parquetDir, CallsTable.FileName))})";
            // Conversions since calls.goid need no join: every query below is a scan, or a sort that spills.
            var own = ColumnNames(conn, calls).Contains("goid");
            var view = own ? $"SELECT {Columns} FROM {calls}" : JoinedView(conn, parquetDir, manifest, calls);
            // Bounded memory: peak RSS stays near this plus the .NET runtime whatever the capture's size (bench/export.sh).
            // The join of older conversions needs more: 256 MB was measured too small for the goid join and the
            // per-track sort of 9 M calls (out of memory).
            Execute(conn, own ? $"SET memory_limit = '{MemoryLimitMb}MB'" : "SET memory_limit = '512MB'");
            // One thread when there is no join: each DuckDB thread keeps its own sort run and scan buffers, and with two the
            // ORDER BY ts of 9 M calls ran out of even 384 MB (bench/export.sh); the export is bound by writing anyway.
            Execute(conn, $"SET threads = {(own ? 1 : Math.Clamp(Environment.ProcessorCount, 1, 4))}");
            Execute(conn, "SET preserve_insertion_order = false");
            Execute(conn, $"SET temp_directory = {QueryEngine.Literal(spillDir)}");
            Execute(conn, $"CREATE VIEW {View} AS {view}");
            Execute(conn, $"CREATE VIEW {PlainView} AS SELECT * FROM {calls}");
            return new CallSource(conn);
        }
        catch
        {
            conn.Dispose();
            throw;
        }
    }

    /// <summary>DuckDB's memory limit when no join is needed: the sorts of export spill to disk past it.</summary>
    public const int MemoryLimitMb = 320;

    /// <summary>calls joined with the goid columns of the function tables, on (function, ts, pid, tid), which identify a
    /// call: for conversions written before calls had its own goid column.</summary>
    private static string JoinedView(DuckDBConnection conn, string parquetDir, ConversionManifest manifest, string calls)
    {
        var goids = new List<string>();
        foreach (var t in manifest.Tables)
        {
            var file = QueryEngine.Literal(Path.Combine(parquetDir, t.File));
            var goid = GoidColumn(conn, file);
            if (goid is null) continue;
            goids.Add($"SELECT {QueryEngine.Literal(t.Function)} AS function, ts, pid, tid, {QueryEngine.Ident(goid)} AS goid "
                + $"FROM read_parquet({file}) WHERE {QueryEngine.Ident(goid)} IS NOT NULL");
        }
        return goids.Count == 0
            ? $"SELECT ts, ktime, pid, tid, CAST(NULL AS BIGINT) AS goid, probe_id, function, build_id, args, duration_ns, ret FROM {calls}"
            : $"SELECT c.ts, c.ktime, c.pid, c.tid, g.goid, c.probe_id, c.function, c.build_id, c.args, c.duration_ns, c.ret "
              + $"FROM {calls} c LEFT JOIN ({string.Join(" UNION ALL ", goids)}) g "
              + "ON c.function = g.function AND c.ts = g.ts AND c.pid = g.pid AND c.tid = g.tid";
    }

    /// <summary>Streams the rows of <paramref name="sql"/> (which reads <see cref="View"/>) to <paramref name="consume"/>.</summary>
    public void Read(string sql, Action<DbDataReader> consume)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = sql;
        // Without streaming mode DuckDB.NET materializes the whole result before the first row (measured: 1.9 GB for
        // 9 M calls); streaming fetches one chunk at a time.
        cmd.UseStreamingMode = true;
        try
        {
            using var reader = cmd.ExecuteReader();
            consume(reader);
        }
        catch (DbException ex)
        {
            throw new CalltapeException(QueryEngine.OneLine(ex.Message), ExitCodes.BadInput);
        }
    }

    /// <summary>Runs a statement that returns no rows (COPY).</summary>
    public void Execute(string sql)
    {
        try
        {
            Execute(_conn, sql);
        }
        catch (DbException ex)
        {
            throw new CalltapeException(QueryEngine.OneLine(ex.Message), ExitCodes.BadInput);
        }
    }

    public void Dispose() => _conn.Dispose();

    /// <summary>The goid column of a function table: the convert layout names it goid (goid_N when an argument took the
    /// name) and writes it only beside duration_ns, so both are required to tell it from an argument named goid.</summary>
    private static string? GoidColumn(DuckDBConnection conn, string fileLiteral)
    {
        var names = ColumnNames(conn, $"read_parquet({fileLiteral})");
        if (!names.Any(n => n.StartsWith("duration_ns", StringComparison.Ordinal))) return null;
        return names.LastOrDefault(n => n == "goid" || (n.StartsWith("goid_", StringComparison.Ordinal) && n[5..].All(char.IsAsciiDigit)));
    }

    /// <summary>The column names of a Parquet relation (read_parquet(...)), in order.</summary>
    private static List<string> ColumnNames(DuckDBConnection conn, string relation)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT column_name FROM (DESCRIBE SELECT * FROM {relation})";
        var names = new List<string>();
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                names.Add(r.GetString(0));
        return names;
    }

    private static void Execute(DuckDBConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
