using System.Threading.Channels;
using Calltape.Capture.Format;
using Calltape.Capture.Model;

namespace Calltape.Analyzer.Conversion;

/// <summary>Reads a capture's events on a thread of its own and hands them over in batches, so parsing the chunks
/// overlaps decoding and writing.</summary>
/// <remarks>
/// Events keep file order (the pairer depends on it). The reader's trailer, losses and warnings are complete once
/// <see cref="Batches"/> has ended. A failure of the reader (a corrupt chunk) is rethrown to the consumer as is.
/// </remarks>
internal sealed class EventPump : IAsyncDisposable
{
    /// <summary>Events per batch: enough to make the hand-over cheap; few in flight, since events waiting in the channel
    /// outlive gen0 collections and would be promoted (10 M calls: 8192 cost 0.6 CPU-s more than 1024, 256 no less;
    /// the hand-over itself, spinning included, was under 2% of samples).</summary>
    public const int BatchSize = 1024;

    private readonly Channel<(RawEvent[] Events, int Count)> _full = Channel.CreateBounded<(RawEvent[], int)>(
        new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
    private readonly Channel<RawEvent[]> _free = Channel.CreateUnbounded<RawEvent[]>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _producer;

    public EventPump(CaptureReader reader) =>
        _producer = Task.Factory.StartNew(() => Produce(reader), _stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>The batches in file order; give each back with <see cref="Recycle"/> once its events are consumed.</summary>
    public IAsyncEnumerable<(RawEvent[] Events, int Count)> Batches(CancellationToken ct) => _full.Reader.ReadAllAsync(ct);

    /// <summary>Returns a consumed batch's array for reuse, emptied.</summary>
    /// <remarks>Emptied, not just overwritten later: a recycled array lives long enough to reach gen2, and a consumed event
    /// it still pointed at would be kept alive through it and promoted by every collection until its slot was reused.</remarks>
    public void Recycle(RawEvent[] batch)
    {
        Array.Clear(batch);
        _free.Writer.TryWrite(batch);
    }

    private void Produce(CaptureReader reader)
    {
        try
        {
            var batch = new RawEvent[BatchSize];
            var n = 0;
            foreach (var ev in reader.Events())
            {
                batch[n++] = ev;
                if (n < BatchSize) continue;
                Send(batch, n);
                batch = _free.Reader.TryRead(out var reused) ? reused : new RawEvent[BatchSize];
                n = 0;
            }
            if (n > 0) Send(batch, n);
            _full.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            _full.Writer.TryComplete(ex);
        }
    }

    private void Send(RawEvent[] batch, int n)
    {
        // Blocking here is the back-pressure that bounds memory when decoding is the slower side.
        if (!_full.Writer.TryWrite((batch, n))) _full.Writer.WriteAsync((batch, n), _stop.Token).AsTask().GetAwaiter().GetResult();
    }

    public async ValueTask DisposeAsync()
    {
        // The consumer stopped (done or failed): release the producer if it waits on a full channel, then wait for it,
        // so the reader is never used after the conversion returns.
        _stop.Cancel();
        await _producer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
