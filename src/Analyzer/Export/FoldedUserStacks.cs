using System.Globalization;
using Calltape.Analyzer.Query;
using Calltape.Analyzer.Stacks;

namespace Calltape.Analyzer.Export;

/// <summary>Folded stacks from recorded user stacks (calltape-record --stack): one line per distinct stack, weighted by calls.</summary>
/// <remarks>
/// Each call is one sample of the stack it was called with (outermost frame first, as flamegraph.pl expects), so the
/// weight is its number of calls, as with perf script | stackcollapse-perf.pl. A call of a probe without --stack is a
/// stack of its function alone. Frames no binary at hand could name show their address. DuckDB does the grouping, so
/// memory stays bounded by distinct stacks.
/// </remarks>
internal static class FoldedUserStacks
{
    /// <summary>True when the converted capture has any call with a user stack.</summary>
    public static bool Present(CallSource source)
    {
        var any = false;
        try
        {
            source.Read($"SELECT count(*) FILTER (WHERE stack_id IS NOT NULL) > 0 FROM {CallSource.PlainView}", r => any = r.Read() && r.GetBoolean(0));
        }
        catch (Capture.CalltapeException)
        {
            return false; // a directory converted before stacks existed has no stack_id column
        }
        return any;
    }

    /// <summary>Writes the folded lines sorted by stack; returns how many distinct stacks were written.</summary>
    public static long Write(CallSource source, string parquetDir, string path)
    {
        var stacksFile = QueryEngine.Literal(Path.Combine(parquetDir, StacksTable.FileName));
        // ';' separates frames and a space the weight: a name holding them (C++ templates) would be split wrongly.
        const string frame = "replace(replace(coalesce(function, printf('0x%x', address)), ';', ':'), ' ', '_')";
        var sql = $"""
            WITH s AS (SELECT stack_id, string_agg({frame}, ';' ORDER BY depth DESC) AS path FROM read_parquet({stacksFile}) GROUP BY stack_id)
            SELECT coalesce(s.path, replace(replace(c.function, ';', ':'), ' ', '_')) AS path, count(*) AS n
            FROM {CallSource.PlainView} c LEFT JOIN s ON c.stack_id = s.stack_id
            GROUP BY 1 ORDER BY 1
            """;
        var lines = 0L;
        using var w = new StreamWriter(path, append: false);
        source.Read(sql, r =>
        {
            while (r.Read())
            {
                w.Write(r.GetString(0));
                w.Write(' ');
                w.Write(Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
                w.Write('\n');
                lines++;
            }
        });
        return lines;
    }
}
