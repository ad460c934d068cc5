namespace Calltape.Analyzer.Conversion;

/// <summary>A table's row buffer and its spare: the convert loop fills <see cref="Current"/> while the previous one is
/// written as a row group on the thread pool, because encoding and compressing a table costs about as much as reading
/// and decoding the capture.</summary>
/// <param name="count">Rows buffered in a batch.</param>
/// <param name="fresh">A new empty batch shaped like the given one (used once, for the spare).</param>
/// <param name="write">Writes a batch as one row group and empties it.</param>
internal sealed class DoubleBuffer<TBatch>(TBatch first, Func<TBatch, int> count, Func<TBatch, TBatch> fresh, Func<TBatch, Task> write)
    where TBatch : class
{
    private TBatch? _spare;
    private Task _pending = Task.CompletedTask;

    /// <summary>The batch being filled; swapped by <see cref="FlushAsync"/>.</summary>
    public TBatch Current { get; private set; } = first;

    /// <summary>Starts writing the buffered rows as one row group; returns once the other buffer is free to fill.</summary>
    public async Task FlushAsync()
    {
        if (count(Current) == 0) return;
        await _pending;
        var full = Current;
        Current = _spare ?? fresh(full);
        _spare = full;
        _pending = Task.Run(() => write(full));
    }

    /// <summary>Flushes what is buffered and waits for every write to finish, rethrowing a write's failure.</summary>
    public async Task CompleteAsync()
    {
        await FlushAsync();
        await _pending;
    }

    /// <summary>Waits for a running write without rethrowing, before the stream under it is disposed. Its failure, if
    /// any, was already thrown by <see cref="CompleteAsync"/>, or is secondary to the exception unwinding the conversion.</summary>
    public async Task SettleAsync() => await _pending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
}
