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

    /// <summary>Whether calls.parquet has its own goid column (no join): the instance's settings depend on it.</summary>
    private readonly bool _own;

    /// <summary>Numbers the schemas of sources that share an instance.</summary>
    private static int _schemas;

    private CallSource(DuckDBConnection conn, bool own)
    {
        _conn = conn;
        _own = own;
    }

    /// <param name="shareWith">Another open source whose DuckDB instance this one joins (diff reads two captures at once):
    /// one memory limit and one buffer pool for both sorts, instead of two instances that each grow to the limit
    /// (bench/export.sh: diff of 9 M calls peaked at 507 MiB with two). The views then live in a schema of their own,
    /// which this connection's search_path (a per-connection setting) names, so the same SQL reads either capture.</param>
    public static CallSource Open(string parquetDir, ConversionManifest manifest, string spillDir, CallSource? shareWith = null)
    {
        var conn = shareWith is null ? OfflineDuckDb.Open() : shareWith._conn.Duplicate();
        try
        {
            // A duplicate shares the instance (and the offline settings OfflineDuckDb made there) but starts closed.
            if (shareWith is not null) conn.Open();
            var schema = "";
            if (shareWith is not null)
            {
                var name = $"source_{Interlocked.Increment(ref _schemas)}";
                Execute(conn, $"CREATE SCHEMA {name}");
                Execute(conn, $"SET search_path = '{name}'");
                schema = name + ".";
            }
            var calls = $"read_parquet({QueryEngine.Literal(Path.Combine(parquetDir, CallsTable.FileName))})";
            // Conversions since calls.goid need no join: every query below is a scan, or a sort that spills.
            var own = ColumnNames(conn, calls).Contains("goid");
            var view = own ? $"SELECT {Columns} FROM {calls}" : JoinedView(conn, parquetDir, manifest, calls);
            // These settings belong to the instance: a source joining another raises them when it needs the join (below),
            // never lowers them, and shares the first one's spill directory.
            if (shareWith is null || (!own && shareWith._own))
            {
                // Bounded memory: peak RSS stays near this plus the .NET runtime whatever the capture's size (bench/export.sh).
                // The join of older conversions needs more: 256 MB was measured too small for the goid join and the
                // per-track sort of 9 M calls (out of memory).
                Execute(conn, own ? $"SET memory_limit = '{MemoryLimitMb}MB'" : "SET memory_limit = '512MB'");
                // One thread when there is no join: each DuckDB thread keeps its own sort run and scan buffers, and with two
                // the ORDER BY ts of 9 M calls ran out of even 384 MB (bench/export.sh); the export is bound by writing anyway.
                Execute(conn, $"SET threads = {(own ? 1 : Math.Clamp(Environment.ProcessorCount, 1, 4))}");
            }
            if (shareWith is null)
            {
                Execute(conn, "SET preserve_insertion_order = false");
                Execute(conn, $"SET temp_directory = {QueryEngine.Literal(spillDir)}");
            }
            Execute(conn, $"CREATE VIEW {schema}{View} AS {view}");
            Execute(conn, $"CREATE VIEW {schema}{PlainView} AS SELECT * FROM {calls}");
            return new CallSource(conn, own);
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
