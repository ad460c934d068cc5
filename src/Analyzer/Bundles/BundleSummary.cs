using System.Globalization;
using System.Text;
using Calltape.Capture.Format;
using Calltape.Capture.Model;

namespace Calltape.Analyzer.Bundles;

/// <summary>Writes SUMMARY.md: a short Markdown description of a bundled capture, fit to paste into an issue.</summary>
/// <remarks>It names functions, counts, times and losses, never argument values: it is meant to be pasted in public.</remarks>
internal static class BundleSummary
{
    private const int TopFunctions = 10;

    public static string Build(CaptureReader reader, BundleManifest manifest, string bundleName)
    {
        var h = reader.Header;
        var perProbe = new Dictionary<int, long>();
        ulong first = ulong.MaxValue, last = 0;
        long total = 0;
        foreach (var ev in reader.Events())
        {
            total++;
            perProbe[ev.Probe] = perProbe.GetValueOrDefault(ev.Probe) + 1;
            first = Math.Min(first, ev.KtimeNs);
            last = Math.Max(last, ev.KtimeNs);
        }
        // Calls are entries; exit probes of the same function would count each call twice.
        var calls = h.Probes.Where(p => p.Kind == ProbeKind.Entry)
            .GroupBy(p => p.Function, StringComparer.Ordinal)
            .Select(g => (Function: g.Key, Calls: g.Sum(p => perProbe.GetValueOrDefault(p.Id))))
            .OrderByDescending(x => x.Calls).ThenBy(x => x.Function, StringComparer.Ordinal).ToArray();
        ulong hits = 0, drops = 0;
        foreach (var l in reader.Losses) { hits += l.Hits; drops += l.Drops; }

        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine($"# Calltape capture `{h.CaptureId}`");
        s.AppendLine();
        s.AppendLine($"- **traced**: {h.Probes.Select(p => p.Function).Distinct().Count()} function(s) in `{h.Target}`");
        s.AppendLine($"- **where**: host `{h.Host}`, kernel `{h.Kernel}`");
        s.AppendLine(total == 0
            ? "- **when**: no events"
            : $"- **when**: {ProbeText.Wall(h.Clock.ToWallNs(first))} to {ProbeText.Wall(h.Clock.ToWallNs(last))} ({ProbeText.Duration((long)(last - first))})");
        s.AppendLine($"- **events**: {ProbeText.Count(total)}");
        s.AppendLine(reader.Losses.Count == 0
            ? "- **losses**: no counters recorded"
            : string.Create(inv, $"- **losses**: {ProbeText.Count((long)drops)} of {ProbeText.Count((long)hits)} hits dropped ({(hits == 0 ? 0 : 100.0 * drops / hits):0.##}%)"));
        s.AppendLine(reader.Trailer is { } t
            ? $"- **ended**: cleanly ({t.Reason})"
            : "- **ended**: CUT, no trailer (the recorder did not finish; events up to the cut are included)");
        foreach (var w in reader.Warnings.Where(w => !w.StartsWith("no trailer", StringComparison.Ordinal))) s.AppendLine($"- **damage**: {w}");
        s.AppendLine($"- **redacted**: {(manifest.Redacted.Count == 0 ? "nothing" : string.Join(", ", manifest.Redacted.Select(r => $"`{r}`")))}");
        s.AppendLine($"- **binaries**: {string.Join("; ", manifest.Binaries.Select(Binary))}");
        s.AppendLine();
        s.AppendLine("| function | calls |");
        s.AppendLine("|---|---:|");
        foreach (var (fn, n) in calls.Take(TopFunctions)) s.AppendLine($"| `{fn}` | {ProbeText.Count(n)} |");
        if (calls.Length > TopFunctions) s.AppendLine($"| … {calls.Length - TopFunctions} more | |");
        s.AppendLine();
        s.AppendLine("Open it with the `calltape` analyzer (no access to the recording machine needed):");
        s.AppendLine();
        s.AppendLine("```sh");
        s.AppendLine($"calltape info {bundleName}");
        var view = calls.FirstOrDefault().Function ?? "calls";
        s.AppendLine($"calltape query {bundleName} 'SELECT * FROM \"{view}\" LIMIT 20'");
        s.AppendLine($"calltape query {bundleName} 'SELECT function, count(*) AS calls FROM calls GROUP BY 1 ORDER BY 2 DESC'");
        s.AppendLine("```");
        return s.ToString();
    }

    private static string Binary(BundledBinary b) =>
        b.Entry is not null ? $"`{Path.GetFileName(b.Path)}` (build-id `{b.Key}`, included)" : $"`{b.Path}` (not included: {b.Missing})";
}
