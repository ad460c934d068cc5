using DuckDB.NET.Data;

namespace Calltape.Analyzer.Query;

/// <summary>Opens the analyzer's in-process DuckDB: in memory, with only the built-in extensions (parquet, json).</summary>
/// <remarks>Autoload and autoinstall are off in every connection the analyzer opens: analysis runs offline and must
/// never download code. Callers that run user SQL also lock the configuration afterwards (QueryEngine).</remarks>
internal static class OfflineDuckDb
{
    public static DuckDBConnection Open()
    {
        var conn = new DuckDBConnection("DataSource=:memory:");
        try
        {
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; SET allow_community_extensions = false";
            cmd.ExecuteNonQuery();
            return conn;
        }
        catch
        {
            conn.Dispose();
            throw;
        }
    }
}
