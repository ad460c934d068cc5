using System.Data.Common;
using System.Text.Json;
using Calltape.Analyzer.Export;
using Calltape.Analyzer.Query;

namespace Calltape.Analyzer.Diff;

/// <summary>The first call of a function, in sequence order, whose arguments or return value differ between two captures.</summary>
/// <param name="Index">The call's 1-based position in the function's sequence (the Nth call of it in each run).</param>
/// <param name="Fields">The names of the arguments (or "ret.NAME" results) that differ; empty when one side has no such call.</param>
internal sealed record Divergence(long Index, CallValues? A, CallValues? B, IReadOnlyList<string> Fields);

/// <summary>A call's arguments and results JSON, as convert wrote them.</summary>
internal sealed record CallValues(string Args, string? Ret);

/// <summary>Walks both captures' calls of one function in lockstep and stops at the first difference.</summary>
/// <remarks>
/// Sequence order is entry time (ktime) within each capture; two runs of a deterministic program call a function in
/// the same order, so the Nth calls correspond. Both readers stream from DuckDB, so memory stays flat however long the
/// common prefix. Values are compared as the converter's JSON, which is canonical (fixed key order and number form),
/// through its hash; the differing call's JSON is then read back by its ktime.
/// </remarks>
internal static class FirstDivergence
{
    /// <summary>The function's calls in sequence order, as (ktime, hash of args, hash of ret): sorting and streaming
    /// two 64-bit hashes instead of the JSON keeps the sort small enough to stay in memory on large captures.</summary>
    public static string Sql(string function) =>
        $"SELECT ktime, hash(args), hash(ret), ret IS NULL FROM {CallSource.PlainView} WHERE function = {QueryEngine.Literal(function)} ORDER BY ktime";

    /// <summary>The first divergence, or null when every call agrees and both ran it equally often; also the calls compared.</summary>
    public static (Divergence? Found, long Compared) Find(CallSource a, CallSource b, string function)
    {
        long index = 0;
        long? atA = null, atB = null;
        var differs = false;
        a.Read(Sql(function), ra => b.Read(Sql(function), rb =>
        {
            while (true)
            {
                var hasA = ra.Read();
                var hasB = rb.Read();
                if (!hasA && !hasB) return;
                index++;
                atA = hasA ? ra.GetInt64(0) : null;
                atB = hasB ? rb.GetInt64(0) : null;
                // A 64-bit hash collision (about 2^-64 per call) is the only way a difference could pass unseen.
                if (!hasA || !hasB || !Same(ra, rb)) { differs = true; return; }
            }
        }));
        if (!differs) return (null, index);
        var va = atA is { } ka ? Values(a, function, ka) : null;
        var vb = atB is { } kb ? Values(b, function, kb) : null;
        IReadOnlyList<string> fields = va is null || vb is null ? [] : [.. Differing(va.Args, vb.Args, ""), .. Differing(va.Ret, vb.Ret, "ret.")];
        return (new Divergence(index, va, vb, fields), index - 1);
    }

    private static bool Same(DbDataReader a, DbDataReader b) =>
        a.GetValue(1).Equals(b.GetValue(1)) && a.GetValue(2).Equals(b.GetValue(2)) && a.GetBoolean(3) == b.GetBoolean(3);

    /// <summary>The JSON of the function's call at <paramref name="ktime"/>, fetched once the hashes pointed at it.</summary>
    private static CallValues Values(CallSource s, string function, long ktime)
    {
        CallValues? v = null;
        s.Read($"SELECT args, ret FROM {CallSource.PlainView} WHERE function = {QueryEngine.Literal(function)} AND ktime = {ktime} LIMIT 1",
            r => v = r.Read() ? new CallValues(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1)) : null);
        return v ?? throw new InvalidOperationException($"{function}: the call at ktime {ktime} vanished between two reads");
    }

    /// <summary>Top-level keys whose values differ (present on one side only counts as differing).</summary>
    private static IEnumerable<string> Differing(string? a, string? b, string prefix)
    {
        if (a == b) return [];
        if (a is null || b is null) return [prefix.Length > 0 ? prefix.TrimEnd('.') : "args"];
        using var da = JsonDocument.Parse(a);
        using var db = JsonDocument.Parse(b);
        var pa = Props(da.RootElement);
        var pb = Props(db.RootElement);
        return pa.Keys.Union(pb.Keys)
            .Where(k => !pa.TryGetValue(k, out var x) || !pb.TryGetValue(k, out var y) || x != y)
            .Select(k => prefix + k)
            .ToList();
    }

    private static Dictionary<string, string> Props(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object
            ? e.EnumerateObject().GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.First().Value.GetRawText())
            : new Dictionary<string, string> { [""] = e.GetRawText() };
}
