using Calltape.Analyzer.Query;
using Calltape.Capture;

namespace Calltape.Analyzer.Replay;

/// <summary>Runs replay's --where predicate through DuckDB over the converted per-function tables.</summary>
/// <remarks>
/// Arguments are columns of each function's table, so the predicate runs against every table and a table lacking a
/// column it names simply has no match (a binder error there is expected). Only when it fails on every table is it
/// the user's mistake, reported with DuckDB's message.
/// </remarks>
internal static class WhereMatcher
{
    public static async Task<HashSet<(long Ts, uint Pid, uint Tid)>> MatchAsync(string input, string? binaries, string predicate,
        TextWriter error, CancellationToken ct)
    {
        var (dir, manifest) = await ParquetSource.ResolveAsync(input, binaries, error, ct);
        using var engine = QueryEngine.Open(dir, manifest);
        var set = new HashSet<(long, uint, uint)>();
        CalltapeException? last = null;
        var ran = 0;
        foreach (var t in manifest.Tables)
        {
            var sql = $"SELECT ts, pid, tid FROM {QueryEngine.FunctionSchema}.{QueryEngine.Ident(t.View)} WHERE ({predicate})";
            try
            {
                engine.Run(sql, r =>
                {
                    while (r.Read()) set.Add((r.GetInt64(0), Convert.ToUInt32(r.GetValue(1)), Convert.ToUInt32(r.GetValue(2))));
                });
                ran++;
            }
            catch (CalltapeException ex)
            {
                last = ex;
            }
        }
        if (ran == 0 && last is not null)
            throw new CalltapeException($"--where {predicate}: {last.Message}", ExitCodes.BadInput);
        return set;
    }
}
