using Calltape.Capture.Model;

namespace Calltape.Recorder.Session;

/// <summary>The live status line on a terminal, and the summary printed at the end.</summary>
internal sealed class StatusLine(IReadOnlyList<ProbeSpec> probes, bool enabled)
{
    private const int MaxListed = 20;
    private readonly bool _tty = enabled && !Console.IsErrorRedirected;
    private long _lastTotal;
    private DateTime _lastAt = DateTime.UtcNow;

    public void Update(long total, ulong drops, long bytes, long[] perProbe)
    {
        var now = DateTime.UtcNow;
        var rate = (total - _lastTotal) / Math.Max((now - _lastAt).TotalSeconds, 1e-3);
        _lastTotal = total;
        _lastAt = now;
        if (!_tty) return;
        var entries = probes.Where(p => p.Kind == ProbeKind.Entry).ToArray();
        var hits = string.Join(' ', entries.Take(4).Select(p => $"{p.Function}={perProbe[p.Id]}"));
        var more = entries.Length > 4 ? $" +{entries.Length - 4}" : "";
        Console.Error.Write($"\r\x1b[Krecording: {rate,8:0} ev/s  {total} events  {drops} dropped  {Human(bytes)}  {hits}{more}");
    }

    public void Summary(string reason, long total, ulong hits, ulong drops, long bytes, int chunks, string output, long[] perProbe)
    {
        if (_tty) Console.Error.Write("\r\x1b[K");
        Console.Error.WriteLine($"recording: stopped ({reason}): {total} events, {drops} dropped of {hits} hits, {Human(bytes)} in {chunks} chunk(s) -> {output}");
        // Exit probes (one per RET of a Go function) are summed into their function's line.
        var returns = probes.Where(p => p.Kind == ProbeKind.Exit).GroupBy(p => p.EntryProbe)
            .ToDictionary(g => g.Key, g => g.Sum(p => perProbe[p.Id]));
        // A glob can probe thousands of functions (-p 'main.*'): past MaxListed, only the busiest are listed.
        var entries = probes.Where(p => p.Kind == ProbeKind.Entry).ToArray();
        var listed = entries.Length <= MaxListed ? entries : entries.OrderByDescending(p => perProbe[p.Id]).Take(MaxListed).ToArray();
        foreach (var p in listed)
            Console.Error.WriteLine(returns.TryGetValue(p.Id, out var r)
                ? $"  {p.Function,-40} {perProbe[p.Id],12} events {r,12} returns"
                : $"  {p.Function,-40} {perProbe[p.Id],12} events");
        if (listed.Length < entries.Length) Console.Error.WriteLine($"  ... and {entries.Length - listed.Length} more functions");
    }

    public static string Human(long bytes) => bytes switch
    {
        < 1 << 10 => $"{bytes} B",
        < 1 << 20 => $"{bytes / 1024.0:0.0} KiB",
        < 1 << 30 => $"{bytes / 1048576.0:0.0} MiB",
        _ => $"{bytes / 1073741824.0:0.00} GiB",
    };
}
