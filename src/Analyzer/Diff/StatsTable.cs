using System.Globalization;

namespace Calltape.Analyzer.Diff;

/// <summary>Prints the per-function comparison of two captures as an aligned text table.</summary>
internal static class StatsTable
{
    public static void Write(IReadOnlyDictionary<string, FunctionStats> a, IReadOnlyDictionary<string, FunctionStats> b, TextWriter o)
    {
        var functions = a.Keys.Union(b.Keys).Order(StringComparer.Ordinal).ToList();
        var timed = a.Values.Concat(b.Values).Any(s => s.Timed > 0);
        var header = new List<string> { "function", "calls A", "calls B", "change" };
        if (timed) header.AddRange(["p50 A", "p50 B", "p90 A", "p90 B", "p99 A", "p99 B", "p99 change"]);
        var rows = new List<string[]> { header.ToArray() };
        foreach (var f in functions)
        {
            var sa = a.GetValueOrDefault(f);
            var sb = b.GetValueOrDefault(f);
            var row = new List<string> { f, Count(sa?.Calls), Count(sb?.Calls), Change(sa?.Calls, sb?.Calls) };
            if (timed)
                row.AddRange([Time(sa?.P50), Time(sb?.P50), Time(sa?.P90), Time(sb?.P90), Time(sa?.P99), Time(sb?.P99), Change(sa?.P99, sb?.P99)]);
            rows.Add(row.ToArray());
        }
        var widths = Enumerable.Range(0, header.Count).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var r in rows)
        {
            // The function left-aligned, figures right-aligned so their digits line up.
            var cells = r.Select((v, c) => c == 0 ? v.PadRight(widths[c]) : v.PadLeft(widths[c]));
            o.WriteLine(string.Join("  ", cells).TrimEnd());
        }
        if (!timed) o.WriteLine("(no durations: record with calltape-record --returns to compare latencies)");
    }

    private static string Count(long? n) => n is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "-";

    /// <summary>The relative change from A to B; "new" or "gone" when a side has none.</summary>
    private static string Change(long? a, long? b) => (a, b) switch
    {
        (null or 0, null or 0) => "",
        (null or 0, _) => "new",
        (_, null or 0) => "gone",
        _ when a == b => "0%",
        _ => ((b!.Value - a!.Value) * 100.0 / a.Value).ToString("+0.#;-0.#", CultureInfo.InvariantCulture) + "%",
    };

    /// <summary>A duration in the largest unit that keeps it above 1.</summary>
    public static string Time(long? ns) => ns switch
    {
        null => "-",
        < 1_000 => $"{ns} ns",
        < 1_000_000 => (ns.Value / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + " µs",
        < 1_000_000_000 => (ns.Value / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + " ms",
        _ => (ns.Value / 1e9).ToString("0.###", CultureInfo.InvariantCulture) + " s",
    };
}
