using Calltape.Capture.Format;

namespace Calltape.Analyzer.Replay;

/// <summary>Streams a capture through the time-order window, the call tracker and the printer, with loss markers in between.</summary>
/// <remarks>
/// Nothing is loaded up front: chunks are read in order and lines printed as they are decided, so the first screen
/// costs one chunk whatever the capture's size, and --limit stops the reading.
/// </remarks>
internal static class ReplayRunner
{
    /// <param name="stacks">replay --stack: symbolizes each call's user stack to print under it; null prints none.</param>
    public static long Run(CaptureReader reader, CallFilter filter, TextWriter output, TextWriter error, long limit,
        Stacks.StackResolver? stacks = null, Func<int, Capture.Decoding.IDynamicTypes?>? types = null)
    {
        var printer = new ReplayPrinter(reader.Header, filter, output, limit, types) { StackLines = stacks is null ? null : (ev, p) => StackText(stacks, ev, p) };
        var tracker = new CallTracker(reader.Header, printer);
        var losses = new LossTimeline(reader.Chunks);
        var cut = false;
        foreach (var ev in OrderedEvents.Of(reader.Events()))
        {
            if (ev.KtimeNs >= filter.UntilKtime)
            {
                cut = true;
                break;
            }
            foreach (var g in losses.Until(ev.KtimeNs))
                if (g.KtimeNs >= filter.SinceKtime) printer.Gap(g);
            tracker.Process(ev);
            if (printer.Full)
            {
                cut = true;
                break;
            }
        }
        // Calls still open at a cut may return later: they stay entry lines, never "no return".
        if (!cut)
        {
            tracker.Finish();
            foreach (var g in losses.Rest())
                if (g.KtimeNs >= filter.SinceKtime && g.KtimeNs < filter.UntilKtime) printer.Gap(g);
            foreach (var w in reader.Warnings) error.WriteLine($"warning: {w}");
        }
        printer.Finish();
        if (stacks is not null)
            foreach (var w in stacks.Warnings) error.WriteLine($"warning: {w}");
        return printer.Printed;
    }

    /// <summary>"at FUNCTION (FILE:LINE)" per frame, innermost first; "[inlined]" marks a call the compiler inlined.</summary>
    private static IReadOnlyList<string>? StackText(Stacks.StackResolver stacks, Capture.Model.RawEvent ev, Capture.Model.ProbeSpec probe)
    {
        if (ev.UserStack is not { } us) return null;
        var lines = new List<string>();
        foreach (var f in stacks.Resolve(us, probe))
        {
            var where = f.File is null ? $" (0x{f.Address:x})" : $" ({Path.GetFileName(f.File)}:{f.Line})";
            lines.Add($"at {Symbols.StackSymbolizer.DisplayName(f)}{(f.Function is null ? "" : where)}{(f.Inlined ? " [inlined]" : "")}");
        }
        if (us.Flags.HasFlag(Capture.Model.StackFlags.Truncated)) lines.Add("... (more frames: raise --stack-depth)");
        else if (us.Flags.HasFlag(Capture.Model.StackFlags.Fault)) lines.Add("... (a caller without frame pointers: outer frames unknown)");
        return lines;
    }
}
