using System.CommandLine;
using Calltape.Analyzer.Binaries;
using Calltape.Analyzer.Inputs;
using Calltape.Capture;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Capture.Pairing;

namespace Calltape.Analyzer.Commands;

/// <summary>calltape info CAPTURE: what was probed, where, when, how much, what was lost, and how the capture ended.</summary>
public static class InfoCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var capture = new Argument<string>("capture") { Description = "The capture directory (made by calltape-record) or a bundle (made by calltape bundle)." };
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
        var input = CaptureInput.Open(capture, binaries);
        var reader = input.OpenReader();
        var h = reader.Header;
        // Reading every event is the only way to learn the time span, the per-probe counts and the trailer.
        var perProbe = new Dictionary<int, long>();
        ulong first = ulong.MaxValue, last = 0;
        long total = 0;
        var byId = h.Probes.GroupBy(p => p.Id).ToDictionary(g => g.Key, g => g.First());
        var paired = h.Probes.Where(p => p.Kind == ProbeKind.Exit).Select(p => p.EntryProbe).ToHashSet();
        var hasExits = paired.Count > 0;
        var pairer = new CallPairer<byte>();
        var abandoned = new List<byte>();
        long withStack = 0, entries = 0;
        foreach (var ev in reader.Events())
        {
            total++;
            if (ev.UserStack is not null) withStack++;
            var probe = byId.GetValueOrDefault(ev.Probe);
            // Calls are entries: exit probes never record stacks, so they do not count as calls without one.
            if (probe is null || probe.Kind == ProbeKind.Entry) entries++;
            // Pairs exactly as convert does, so the counts here are the NULL durations there.
            if (hasExits && probe is not null)
            {
                if (probe.Kind == ProbeKind.Exit)
                {
                    abandoned.Clear();
                    pairer.TryExit(CallKey.Of(probe, ev), probe.EntryProbe, out _, abandoned);
                }
                else if (paired.Contains(probe.Id)) pairer.Enter(CallKey.Of(probe, ev), probe.Id, 0, out _);
            }
            perProbe[ev.Probe] = perProbe.GetValueOrDefault(ev.Probe) + 1;
            if (ev.KtimeNs < first) first = ev.KtimeNs;
            if (ev.KtimeNs > last) last = ev.KtimeNs;
        }
        foreach (var w in reader.Warnings) error.WriteLine($"warning: {w}");

        var o = output;
        o.WriteLine($"capture     {Path.GetFullPath(capture)}");
        if (input.Bundle is { } bundle)
            o.WriteLine($"bundle      extracted to {bundle.Root}; redacted: {(bundle.Manifest.Redacted.Count == 0 ? "nothing" : string.Join(" ", bundle.Manifest.Redacted))}");
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
        if (hasExits)
        {
            pairer.Drain();
            o.WriteLine($"returns     {ProbeText.Returns(pairer.Paired, pairer.UnmatchedExits, pairer.Unclosed)}");
        }
        if (h.Probes.Any(p => p.Plan.UserStack > 0))
        {
            var stacks = reader.Stacks;
            var truncated = stacks.Count(s => s.Flags.HasFlag(StackFlags.Truncated));
            var faults = stacks.Count(s => s.Flags.HasFlag(StackFlags.Fault));
            o.WriteLine($"stacks      {ProbeText.Count(stacks.Count)} distinct user stacks for {ProbeText.Count(withStack)} calls"
                + $" ({ProbeText.Count(entries - withStack)} calls without one); {truncated} cut at --stack-depth, {faults} ended at a frame without frame pointer");
        }
        if (total > 0)
        {
            o.WriteLine($"first       {ProbeText.Wall(h.Clock.ToWallNs(first))}");
            o.WriteLine($"last        {ProbeText.Wall(h.Clock.ToWallNs(last))}");
            o.WriteLine($"duration    {ProbeText.Duration((long)(last - first))}");
        }

        o.WriteLine();
        o.WriteLine($"binaries ({h.Binaries.Count})");
        var check = new BinaryCheck(input.Binaries);
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
        foreach (var p in h.Probes.Where(p => p.Kind == ProbeKind.Entry))
        {
            WriteProbe(o, h, p, perProbe.GetValueOrDefault(p.Id), losses.TryGetValue(p.Id, out var l) ? l : null);
            var exits = h.Probes.Where(x => x.Kind == ProbeKind.Exit && x.EntryProbe == p.Id).ToArray();
            if (exits.Length > 0) WriteExits(o, exits, perProbe, losses);
        }
        // Exits whose entry is not in the header (a damaged capture) are still shown.
        foreach (var p in h.Probes.Where(p => p.Kind == ProbeKind.Exit && !byId.ContainsKey(p.EntryProbe)))
            WriteProbe(o, h, p, perProbe.GetValueOrDefault(p.Id), losses.TryGetValue(p.Id, out var l) ? l : null);
        return 0;
    }

    /// <summary>The exit probes of one function on a few lines: where they are, the results, and their events.</summary>
    private static void WriteExits(TextWriter o, ProbeSpec[] exits, Dictionary<int, long> perProbe, Dictionary<int, (ulong Hits, ulong Drops)> losses)
    {
        var first = exits[0];
        var where = first.Uretprobe ? "uretprobe" : $"{exits.Length} RET(s) at " + string.Join(",", exits.Select(x => $"+0x{x.ProbeOffset:x}"));
        o.WriteLine($"      returns [{string.Join(",", exits.Select(x => x.Id))}] {where}");
        if (first.Params.Count == 0) o.WriteLine("      result (none)");
        foreach (var q in first.Params) o.WriteLine($"      result {ProbeText.Param(q)}");
        var plan = first.Plan;
        o.WriteLine($"      plan   regs {string.Join(",", plan.Registers.Select(Abis.Name))}   derefs {plan.Derefs.Count}{(first.GoidDeref >= 0 ? " (goid)" : "")}");
        if (first.Note is not null) o.WriteLine($"      note   {first.Note}");
        var hits = exits.Aggregate(0UL, (a, x) => a + (losses.TryGetValue(x.Id, out var l) ? l.Hits : 0));
        var drops = exits.Aggregate(0UL, (a, x) => a + (losses.TryGetValue(x.Id, out var l) ? l.Drops : 0));
        o.WriteLine($"      events {ProbeText.Count(exits.Sum(x => perProbe.GetValueOrDefault(x.Id)))} returns   hits {ProbeText.Count((long)hits)}   drops {ProbeText.Count((long)drops)}");
    }

    private static void WriteProbe(TextWriter o, SessionHeader h, ProbeSpec p, long events, (ulong Hits, ulong Drops)? loss)
    {
        o.WriteLine($"  [{p.Id}] {p.Function}");
        o.WriteLine($"      binary {ProbeText.BinaryPath(h, p)}   address 0x{p.Address:x}   probe +0x{p.ProbeOffset:x}   file offset 0x{p.FileOffset:x}   abi {ProbeText.Abi(p.Abi)}");
        if (p.Params.Count == 0) o.WriteLine("      params (none)");
        foreach (var q in p.Params) o.WriteLine($"      param  {ProbeText.Param(q)}");
        var plan = p.Plan;
        // "*rcx+8": the pointer plus the offset read at; "outside image": read only when the pointer is not in the binary.
        var derefs = plan.Derefs.Select((d, i) =>
            $"#{i} *{d.Ptr}{(d.Offset != 0 ? $"{d.Offset:+0;-0}" : "")} len {d.Len} max {d.MaxLen}{(d.CString ? " cstring" : "")}{(d.OutsideImage ? " outside image" : "")}");
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

    /// <summary>", built with go1.19.8" for a Go binary (the toolchain a bug report most often needs), else nothing.</summary>
    private static string Toolchain(string? file)
    {
        if (file is null) return "";
        return Calltape.Symbols.ElfImage.Open(file).GoVersion is { } v ? $", built with {v}" : "";
    }

    private static string DiskState(BinaryCheck check, BinaryInfo b)
    {
        try
        {
            var s = check.Check(b);
            return s.State switch
            {
                BinaryState.Verified => $"{s.File} (build-id matches){Toolchain(s.File)}",
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
