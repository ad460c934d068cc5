using Calltape.Capture.Model;

namespace Calltape.Analyzer.Replay;

/// <summary>Puts records in time order with a bounded look-ahead window.</summary>
/// <remarks>
/// Records of different CPUs reach the ring slightly out of order (FORMAT.md: dt_ns is signed), but those of one
/// thread or goroutine are already in order. A window of a few thousand records restores the global order without
/// reading the whole capture, so replay prints its first lines after reading only the first chunk.
/// </remarks>
internal static class OrderedEvents
{
    public const int DefaultWindow = 8192;

    public static IEnumerable<RawEvent> Of(IEnumerable<RawEvent> events, int window = DefaultWindow)
    {
        // The sequence number keeps file order among equal times, which keeps each flow's own order.
        var heap = new PriorityQueue<RawEvent, (ulong, long)>();
        var seq = 0L;
        foreach (var ev in events)
        {
            heap.Enqueue(ev, (ev.KtimeNs, seq++));
            if (heap.Count > window) yield return heap.Dequeue();
        }
        while (heap.Count > 0) yield return heap.Dequeue();
    }
}
