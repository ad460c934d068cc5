using Calltape.Capture;
using Calltape.Capture.Format;
using MessagePack;

namespace Calltape.Analyzer.Replay;

/// <summary>Events lost between two loss snapshots: the drops counter of one probe on one CPU went up by Count.</summary>
internal readonly record struct LossGap(ulong KtimeNs, int Probe, int Cpu, ulong Count);

/// <summary>Where in time events were lost, read from the loss items (FORMAT.md tag -2) chunk by chunk, on demand.</summary>
/// <remarks>
/// CaptureReader keeps only the last counters, but a gap belongs at the snapshot where drops went up. Scanning every
/// chunk first would cost a pass over the whole capture before the first line, so chunks are scanned only as far as
/// the replay has got: <see cref="Until"/> reads chunks until one reaches past the asked time. Events are skipped,
/// only their dt is read to follow the time.
/// </remarks>
internal sealed class LossTimeline(IReadOnlyList<string> chunks)
{
    private readonly Dictionary<(int Probe, int Cpu), ulong> _drops = [];
    private readonly Queue<LossGap> _gaps = new();
    private int _next;
    private ulong _scannedTo;

    // The chunk being scanned and how far: scanning stops as soon as it passes the asked time, so the first screen
    // does not wait for a whole chunk to be skipped through.
    private ReadOnlyMemory<byte> _mem;
    private int _pos;
    private ulong _ktime;

    /// <summary>Removes and returns the gaps at or before <paramref name="ktime"/>, in time order.</summary>
    public IEnumerable<LossGap> Until(ulong ktime)
    {
        while (_scannedTo <= ktime)
        {
            if (_pos >= _mem.Length)
            {
                if (_next >= chunks.Count) break;
                Open(chunks[_next++]);
                continue;
            }
            Scan(ktime);
        }
        while (_gaps.TryPeek(out var g) && g.KtimeNs <= ktime) yield return _gaps.Dequeue();
    }

    /// <summary>Every gap not yet returned (the end of the replay).</summary>
    public IEnumerable<LossGap> Rest() => Until(ulong.MaxValue);

    private void Open(string path)
    {
        _mem = File.ReadAllBytes(path);
        _ktime = 0;
        _pos = _mem.Length;
        try
        {
            var r = new MessagePackReader(_mem);
            if (!r.End) r.Skip(); // the chunk header
            _pos = (int)r.Consumed;
        }
        catch (Exception ex) when (ex is EndOfStreamException or MessagePackSerializationException)
        {
            // A chunk cut inside its header holds no loss item; CaptureReader reports it.
        }
    }

    /// <summary>Reads items of the current chunk until one lies past <paramref name="ktime"/> (a snapshot at the same time as an event comes first) or the chunk ends.</summary>
    private void Scan(ulong ktime)
    {
        var r = new MessagePackReader(_mem[_pos..]);
        long done = 0;
        try
        {
            while (!r.End && _scannedTo <= ktime)
            {
                var n = r.ReadArrayHeader();
                var tag = r.ReadInt32();
                if (tag == CaptureFormat.TagLoss)
                {
                    var at = r.ReadUInt64();
                    for (int i = 0, c = r.ReadArrayHeader(); i < c; i++)
                    {
                        r.ReadArrayHeader();
                        var probe = r.ReadInt32();
                        var cpu = r.ReadInt32();
                        r.ReadUInt64();
                        var drops = r.ReadUInt64();
                        var before = _drops.GetValueOrDefault((probe, cpu));
                        if (drops > before) _gaps.Enqueue(new LossGap(at, probe, cpu, drops - before));
                        _drops[(probe, cpu)] = Math.Max(before, drops);
                    }
                    _scannedTo = Math.Max(_scannedTo, at);
                }
                else
                {
                    var rest = n - 1;
                    if (tag >= 0)
                    {
                        _ktime += (ulong)r.ReadInt64();
                        _scannedTo = Math.Max(_scannedTo, _ktime);
                        rest--;
                    }
                    for (var i = 0; i < rest; i++) r.Skip();
                }
                done = r.Consumed;
            }
            _pos += (int)done;
        }
        catch (Exception ex) when (ex is EndOfStreamException or MessagePackSerializationException or InvalidOperationException or OverflowException)
        {
            // A torn or damaged tail: CaptureReader reports it (or fails) while replay reads the events; the gaps
            // found before it stand.
            _pos = _mem.Length;
        }
    }
}
