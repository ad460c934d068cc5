using DuckDB.NET.Data;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>Runs calltape in-process with captured output, and reads Parquet back with a bare DuckDB.</summary>
internal static class Cli
{
    public sealed record Result(int Code, string Out, string Err)
    {
        public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static Result Run(params string[] args)
    {
        var o = new StringWriter { NewLine = "\n" };
        var e = new StringWriter { NewLine = "\n" };
        var code = global::Calltape.Analyzer.Program.RunAsync(args, o, e).GetAwaiter().GetResult();
        return new Result(code, o.ToString(), e.ToString());
    }

    /// <summary>All rows of a query over Parquet files, values as DuckDB.NET returns them (DBNull → null).</summary>
    public static List<object?[]> Sql(string sql)
    {
        using var conn = new DuckDBConnection("DataSource=:memory:");
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public static string Pq(string dir, string file) => $"read_parquet('{Path.Combine(dir, file)}')";
}
