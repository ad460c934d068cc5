using System.Data.Common;
using Calltape.Analyzer.Conversion;
using Calltape.Capture;
using DuckDB.NET.Data;

namespace Calltape.Analyzer.Query;

/// <summary>An in-process DuckDB over one converted directory, with a view per table and per function.</summary>
/// <remarks>
/// Only DuckDB's built-in parquet reader is used: extension autoload and autoinstall are switched off before any user
/// SQL runs, and the configuration is then locked so the query cannot switch them back on (a query must never
/// download code).
/// </remarks>
internal sealed class QueryEngine : IDisposable
{
    /// <summary>Schema holding every function view, so a function named like a fixed table stays reachable.</summary>
    public const string FunctionSchema = "fn";

    private readonly DuckDBConnection _conn;

    private QueryEngine(DuckDBConnection conn) => _conn = conn;

    public static QueryEngine Open(string parquetDir, ConversionManifest manifest)
    {
        var conn = OfflineDuckDb.Open();
        try
        {
            foreach (var fixedView in TableLayout.FixedViews)
                Execute(conn, $"CREATE VIEW {Ident(fixedView)} AS SELECT * FROM read_parquet({Literal(Path.Combine(parquetDir, fixedView + ".parquet"))})");
            Execute(conn, $"CREATE SCHEMA {FunctionSchema}");
            foreach (var t in manifest.Tables)
            {
                var source = $"SELECT * FROM read_parquet({Literal(Path.Combine(parquetDir, t.File))})";
                Execute(conn, $"CREATE VIEW {FunctionSchema}.{Ident(t.View)} AS {source}");
                if (!TableLayout.FixedViews.Contains(t.View, StringComparer.OrdinalIgnoreCase))
                    Execute(conn, $"CREATE VIEW {Ident(t.View)} AS {source}");
            }
            Execute(conn, "SET lock_configuration = true");
            return new QueryEngine(conn);
        }
        catch
        {
            conn.Dispose();
            throw;
        }
    }

    /// <summary>Runs the user's SQL and hands its result to <paramref name="consume"/> while the reader is open.</summary>
    public void Run(string sql, Action<DbDataReader> consume)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = sql;
        DbDataReader reader;
        try
        {
            reader = cmd.ExecuteReader();
        }
        catch (DbException ex)
        {
            throw new CalltapeException(OneLine(ex.Message), ExitCodes.BadInput);
        }
        using (reader)
        {
            try
            {
                consume(reader);
            }
            catch (DbException ex)
            {
                // Some errors (casts, overflow) surface only while rows are fetched.
                throw new CalltapeException(OneLine(ex.Message), ExitCodes.BadInput);
            }
        }
    }

    public void Dispose() => _conn.Dispose();

    /// <summary>A double-quoted SQL identifier.</summary>
    public static string Ident(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    /// <summary>A single-quoted SQL string literal.</summary>
    public static string Literal(string s) => "'" + s.Replace("'", "''") + "'";

    /// <summary>DuckDB's messages span lines (hint, query excerpt, caret); errors here are one line.</summary>
    public static string OneLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.Trim('^', ' ').Length > 0);
        return string.Join(" ", lines);
    }

    private static void Execute(DuckDBConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
