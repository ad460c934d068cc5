using System.CommandLine;
using Calltape.Analyzer.Binaries;
using Calltape.Capture;
using Calltape.Capture.Format;
using Calltape.Capture.Model;

namespace Calltape.Analyzer.Commands;

/// <summary>calltape info CAPTURE: what was probed, where, when, how much, what was lost, and how the capture ended.</summary>
public static class InfoCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var capture = new Argument<string>("capture") { Description = "The capture directory (made by calltape-record)." };
        var binaries = CommonOptions.Binaries();
        var cmd = new Command("info", "Describe a capture: probes, binaries, time span, events, loss, and whether it ended cleanly.")
        {
            capture, binaries,
        };
        cmd.SetAction(pr => Run(pr.GetValue(capture)!, pr.GetValue(binaries), output, error));
        return cmd;
    }

    public static int Run(string capture, string? binaries, TextWriter output, TextWriter error)
    {
        var reader = CaptureReader.Open(capture);
        var h = reader.Header;
        // Reading every event is the only way to learn the time span, the per-probe counts and the trailer.
        var perProbe = new Dictionary<int, long>();
        ulong first = ulong.MaxValue, last = 0;
        long total = 0;
        foreach (var ev in reader.Events())
        {
            total++;
            perProbe[ev.Probe] = perProbe.GetValueOrDefault(ev.Probe) + 1;
            if (ev.KtimeNs < first) first = ev.KtimeNs;
            if (ev.KtimeNs > last) last = ev.KtimeNs;
        }
        foreach (var w in reader.Warnings) error.WriteLine($"warning: {w}");

        var o = output;
        o.WriteLine($"capture     {Path.GetFullPath(capture)}");
        o.WriteLine($"id          {h.CaptureId}");
        o.WriteLine($"host        {h.Host}  (kernel {h.Kernel})");
        o.WriteLine($"target      {h.Target}");
        o.WriteLine($"command     {string.Join(' ', h.CommandLine)}");
        o.WriteLine($"chunks      {reader.Chunks.Count}");
        o.WriteLine(reader.Trailer is { } t
            ? $"ended       cleanly: {t.Reason} ({ProbeText.Count(t.Events)} events per the trailer)"
            : "ended       CUT: no trailer, the recorder did not finish (events up to the cut are readable)");
        foreach (var w in reader.Warnings) o.WriteLine($"damage      {w}");
        o.WriteLine($"events      {ProbeText.Count(total)}");
        if (total > 0)
        {
            o.WriteLine($"first       {ProbeText.Wall(h.Clock.ToWallNs(first))}");
            o.WriteLine($"last        {ProbeText.Wall(h.Clock.ToWallNs(last))}");
            o.WriteLine($"duration    {ProbeText.Duration((long)(last - first))}");
        }

        o.WriteLine();
        o.WriteLine($"binaries ({h.Binaries.Count})");
        var check = new BinaryCheck(binaries);
        for (var i = 0; i < h.Binaries.Count; i++)
        {
            var b = h.Binaries[i];
            o.WriteLine($"  [{i}] {b.Path}");
            o.WriteLine($"      gnu build-id {b.GnuBuildId ?? "-"}   go build-id {b.GoBuildId ?? "-"}");
            o.WriteLine($"      size {ProbeText.Count(b.Size)} bytes   mtime {ProbeText.Wall(b.MtimeUnixNs)}");
            o.WriteLine($"      on disk: {DiskState(check, b)}");
        }

        var losses = reader.Losses.GroupBy(l => l.Probe).ToDictionary(
            g => g.Key, g => (Hits: g.Aggregate(0UL, (a, l) => a + l.Hits), Drops: g.Aggregate(0UL, (a, l) => a + l.Drops)));
        o.WriteLine();
        o.WriteLine($"probes ({h.Probes.Count})");
        foreach (var p in h.Probes) WriteProbe(o, h, p, perProbe.GetValueOrDefault(p.Id), losses.TryGetValue(p.Id, out var l) ? l : null);
        return 0;
    }

    private static void WriteProbe(TextWriter o, SessionHeader h, ProbeSpec p, long events, (ulong Hits, ulong Drops)? loss)
    {
        o.WriteLine($"  [{p.Id}] {p.Function}");
        o.WriteLine($"      binary {ProbeText.BinaryPath(h, p)}   address 0x{p.Address:x}   probe +0x{p.ProbeOffset:x}   file offset 0x{p.FileOffset:x}   abi {ProbeText.Abi(p.Abi)}");
        if (p.Params.Count == 0) o.WriteLine("      params (none)");
        foreach (var q in p.Params) o.WriteLine($"      param  {ProbeText.Param(q)}");
        var plan = p.Plan;
        var derefs = plan.Derefs.Select((d, i) => $"#{i} *{d.Ptr} len {d.Len} max {d.MaxLen}");
        o.WriteLine($"      plan   regs {(plan.Registers.Count == 0 ? "-" : string.Join(",", plan.Registers.Select(Abis.Name)))}"
            + $"   stack {plan.StackLen} B   derefs {(plan.Derefs.Count == 0 ? "-" : string.Join("; ", derefs))}");
        if (p.Note is not null) o.WriteLine($"      note   {p.Note}");
        if (loss is { } l)
        {
            var pct = l.Hits == 0 ? 0 : 100.0 * l.Drops / l.Hits;
            o.WriteLine($"      events {ProbeText.Count(events)}   hits {ProbeText.Count((long)l.Hits)}   drops {ProbeText.Count((long)l.Drops)} ({pct:0.##}% lost)");
        }
        else
        {
            o.WriteLine($"      events {ProbeText.Count(events)}   hits -   drops - (no counters recorded)");
        }
    }

    private static string DiskState(BinaryCheck check, BinaryInfo b)
    {
        try
        {
            var s = check.Check(b);
            return s.State switch
            {
                BinaryState.Verified => $"{s.File} (build-id matches)",
                BinaryState.Unverifiable => $"{s.File} (no build-id recorded, not verified)",
                BinaryState.Mismatch => $"MISMATCH: {s.File} has build-id {s.FoundId ?? "(none)"}",
                _ => "missing",
            };
        }
        catch (CalltapeException ex)
        {
            // info describes; it does not fail because a binary is unreadable.
            return $"unreadable ({ex.Message})";
        }
    }
}
