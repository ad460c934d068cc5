using Calltape.Capture.Format;

namespace Calltape.Analyzer.Replay;

/// <summary>Streams a capture through the time-order window, the call tracker and the printer, with loss markers in between.</summary>
/// <remarks>
/// Nothing is loaded up front: chunks are read in order and lines printed as they are decided, so the first screen
/// costs one chunk whatever the capture's size, and --limit stops the reading.
/// </remarks>
internal static class ReplayRunner
{
    public static long Run(CaptureReader reader, CallFilter filter, TextWriter output, TextWriter error, long limit,
        Func<int, Capture.Decoding.IDynamicTypes?>? types = null)
    {
        var printer = new ReplayPrinter(reader.Header, filter, output, limit, types);
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
        return printer.Printed;
    }
}
