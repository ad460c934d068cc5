using Calltape.Analyzer.Export;

namespace Calltape.Analyzer.Diff;

/// <summary>One function's calls and latency percentiles in one capture; the percentiles are null without durations.</summary>
internal sealed record FunctionStats(string Function, long Calls, long Timed, long? P50, long? P90, long? P99)
{
    /// <summary>The per-function figures of a capture, computed by DuckDB (its quantiles spill to disk like the rest).</summary>
    public static Dictionary<string, FunctionStats> Of(CallSource source)
    {
        var result = new Dictionary<string, FunctionStats>(StringComparer.Ordinal);
        source.Read(Sql, r =>
        {
            while (r.Read())
            {
                long? At(int i) => r.IsDBNull(i) ? null : Convert.ToInt64(r.GetValue(i));
                var s = new FunctionStats(r.GetString(0), r.GetInt64(1), r.GetInt64(2), At(3), At(4), At(5));
                result[s.Function] = s;
            }
        });
        return result;
    }

    /// <summary>Shown by compare-runs.ipynb too, so users can run it themselves.</summary>
    public const string Sql = $"""
        SELECT function, count(*) AS calls, count(duration_ns) AS timed,
               quantile_disc(duration_ns, 0.5) AS p50_ns,
               quantile_disc(duration_ns, 0.9) AS p90_ns,
               quantile_disc(duration_ns, 0.99) AS p99_ns
        FROM {CallSource.PlainView} GROUP BY function ORDER BY function
        """;
}
