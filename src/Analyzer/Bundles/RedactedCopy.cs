using System.Buffers;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Capture.Redaction;

namespace Calltape.Analyzer.Bundles;

/// <summary>Rewrites a capture through CaptureWriter with redacted parameters taken out of every record and the header.</summary>
/// <remarks>
/// The copy is a valid capture of the same format: the header's probes carry the redacted plans (values marked not
/// captured, "redacted"), and each event keeps only the registers and dereferences those plans keep, with redacted
/// stack bytes zeroed. Loss snapshots fold into one item holding the final counters; the trailer is kept when the
/// original had one, so a cut capture stays cut.
/// </remarks>
internal static class RedactedCopy
{
    /// <summary>Writes the redacted copy of <paramref name="reader"/>'s capture to <paramref name="dir"/>; returns the events written.</summary>
    public static long Write(CaptureReader reader, IReadOnlyList<ProbeRedaction> redactions, string dir)
    {
        var byId = redactions.ToDictionary(r => r.Probe.Id);
        var header = reader.Header with { Probes = redactions.Select(r => r.Probe).ToArray() };
        using var w = CaptureWriter.Create(dir, header);
        // Stacks keep their mappings: the reader has read a process's mapping item before any stack of it.
        w.OnNewStack = (pid, _) =>
        {
            if (reader.Mappings.TryGetValue(pid, out var maps)) w.SetMappings(pid, maps);
        };
        var data = new ArrayBufferWriter<byte>();
        ulong last = 0;
        foreach (var original in reader.Events())
        {
            var ev = byId[original.Probe].Apply(original);
            data.ResetWrittenCount();
            var slices = new DerefSlice[ev.Derefs.Length];
            for (var i = 0; i < slices.Length; i++)
            {
                var d = ev.Derefs[i];
                slices[i] = new DerefSlice(data.WrittenCount, d.Data.Length, d.Want, d.Error);
                data.Write(d.Data);
            }
            w.WriteEvent(ev.Probe, ev.KtimeNs, ev.Pid, ev.Tid, ev.Registers, byId[ev.Probe].Probe.Plan.StackLen > 0,
                ev.Stack ?? [], data.WrittenSpan, slices, new UserStackSample(byId[ev.Probe].Probe.Plan.UserStack > 0,
                    ev.UserStack is not null, (int)(ev.UserStack?.Flags ?? 0), ev.UserStack?.Frames));
            last = Math.Max(last, ev.KtimeNs);
        }
        if (reader.Losses.Count > 0) w.WriteLoss(reader.Trailer?.KtimeNs ?? last, reader.Losses.ToList());
        if (reader.Trailer is { } t) w.Complete(t.KtimeNs, t.Reason);
        return w.Events;
    }
}
