using Calltape.Capture.Model;

namespace Calltape.Analyzer.Conversion;

/// <summary>Writes the descriptive tables: probes.parquet, binaries.parquet and loss.parquet.</summary>
internal static class MetaTables
{
    public static async Task WriteAsync(string dir, SessionHeader header, IReadOnlyList<FunctionTableSpec> layout,
        IReadOnlyDictionary<int, long> events, IReadOnlyCollection<LossCounter> losses)
    {
        var tableOf = layout.SelectMany(t => t.ProbeIds.Select(id => (id, t))).ToDictionary(x => x.id, x => x.t);
        var ps = header.Probes;
        // An exit probe's rows are its entry's rows, so it names the entry's table.
        FunctionTableSpec? TableOf(ProbeSpec p) => tableOf.GetValueOrDefault(p.Kind == ProbeKind.Exit ? p.EntryProbe : p.Id);
        await new SmallTable()
            .Int("probe_id", ps.Select(p => p.Id).ToArray())
            .Text("function", ps.Select(p => p.Function).ToArray())
            .Text("kind", ps.Select(p => p.Kind == ProbeKind.Exit ? "exit" : "entry").ToArray())
            .Text("table", ps.Select(p => TableOf(p)?.View).ToArray())
            .Text("table_file", ps.Select(p => TableOf(p)?.File).ToArray())
            .Text("binary", ps.Select(p => ProbeText.BinaryPath(header, p)).ToArray())
            .Text("build_id", ps.Select(p => ProbeText.BuildId(header, p)).ToArray())
            .ULong("address", ps.Select(p => p.Address).ToArray())
            .ULong("probe_offset", ps.Select(p => p.ProbeOffset).ToArray())
            .ULong("file_offset", ps.Select(p => p.FileOffset).ToArray())
            .Text("abi", ps.Select(p => ProbeText.Abi(p.Abi)).ToArray())
            .Text("params", ps.Select(ProbeText.Params).ToArray())
            .Text("note", ps.Select(p => p.Note).ToArray())
            .Long("events", ps.Select(p => events.GetValueOrDefault(p.Id)).ToArray())
            .WriteAsync(Path.Combine(dir, "probes.parquet"));

        var bs = header.Binaries;
        await new SmallTable()
            .Int("binary", Enumerable.Range(0, bs.Count).ToArray())
            .Text("path", bs.Select(b => b.Path).ToArray())
            .Text("gnu_build_id", bs.Select(b => b.GnuBuildId).ToArray())
            .Text("go_build_id", bs.Select(b => b.GoBuildId).ToArray())
            .Long("size", bs.Select(b => b.Size).ToArray())
            .Long("mtime", bs.Select(b => b.MtimeUnixNs).ToArray())
            .WriteAsync(Path.Combine(dir, "binaries.parquet"));

        var names = ps.GroupBy(p => p.Id).ToDictionary(g => g.Key, g => g.First().Function);
        var ls = losses.OrderBy(l => l.Probe).ThenBy(l => l.Cpu).ToArray();
        await new SmallTable()
            .Int("probe_id", ls.Select(l => l.Probe).ToArray())
            .Text("function", ls.Select(l => names.GetValueOrDefault(l.Probe)).ToArray())
            .Int("cpu", ls.Select(l => l.Cpu).ToArray())
            .ULong("hits", ls.Select(l => l.Hits).ToArray())
            .ULong("drops", ls.Select(l => l.Drops).ToArray())
            .WriteAsync(Path.Combine(dir, "loss.parquet"));
    }
}
