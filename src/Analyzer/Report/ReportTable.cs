using System.Globalization;
using Calltape.Analyzer.Replay;

namespace Calltape.Analyzer.Report;

/// <summary>Prints the report: one aligned line per function (and group), time columns blank where no return was seen.</summary>
internal static class ReportTable
{
    /// <summary>Orders for --sort; every order is descending and ties go by function name, then group.</summary>
    public static readonly string[] Sorts = ["total", "calls", "self", "p99"];

    public static void Write(IEnumerable<FunctionStats> stats, string sort, string? groupTitle, TextWriter output)
    {
        Func<FunctionStats, double> key = sort switch
        {
            "calls" => s => s.Calls,
            "self" => s => s.SelfNs,
            "p99" => s => s.Quantile(0.99),
            _ => s => s.TotalNs,
        };
        var rows = stats.OrderByDescending(key).ThenByDescending(s => s.Calls).ThenBy(s => s.Function, StringComparer.Ordinal)
            .ThenBy(s => s.Group, StringComparer.Ordinal).ToList();
        var header = new List<string> { "function" };
        if (groupTitle is not null) header.Add(groupTitle);
        header.AddRange(["calls", "total", "self", "mean", "p50", "p90", "p99", "max", "complete"]);
        var lines = new List<string[]> { header.ToArray() };
        foreach (var s in rows)
        {
            var cells = new List<string> { s.Function };
            if (groupTitle is not null) cells.Add(s.Group ?? "");
            cells.Add(s.Calls.ToString(CultureInfo.InvariantCulture));
            if (s.Timed == 0) cells.AddRange(Enumerable.Repeat("", 7));
            else
                cells.AddRange([T(s.TotalNs), T(s.SelfNs), T(s.MeanNs), T(s.Quantile(0.5)), T(s.Quantile(0.9)), T(s.Quantile(0.99)), T(s.MaxNs)]);
            cells.Add(Percent(s.Completeness));
            lines.Add(cells.ToArray());
        }
        var n = header.Count;
        var widths = Enumerable.Range(0, n).Select(i => lines.Max(l => l[i].Length)).ToArray();
        var textColumns = groupTitle is null ? 1 : 2;
        foreach (var l in lines)
        {
            var parts = l.Select((c, i) => i < textColumns ? c.PadRight(widths[i]) : c.PadLeft(widths[i]));
            output.WriteLine(string.Join("  ", parts).TrimEnd());
        }
    }

    /// <summary>Rounded down to 0.1 %, so a capture that lost anything never shows 100.0%.</summary>
    public static string Percent(double share) =>
        (Math.Floor(share * 1000) / 10).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static string T(double ns) => ValueText.Duration((long)Math.Round(ns));
}
