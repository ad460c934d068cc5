using Calltape.Capture.Model;
using MessagePack;

namespace Calltape.Capture.Format;

/// <summary>Reads a capture directory: its header, its events in chunk order, its loss counters and trailer.</summary>
/// <remarks>
/// A torn last item (the recorder died mid-write) ends that chunk with one warning; every record before it is kept.
/// Anything else malformed is a <see cref="CalltapeException"/> naming the file and offset.
/// </remarks>
public sealed class CaptureReader
{
    private readonly string[] _chunks;
    private readonly Dictionary<(int Probe, int Cpu), LossCounter> _loss = [];
    private readonly List<string> _warnings = [];

    private readonly ProbeSpec?[] _probesById;
    private readonly FastEventParser.Shape[] _shapes;
    private readonly StackInterner _stacks = new();
    private readonly Dictionary<uint, IReadOnlyList<BinaryMapping>> _mappings = [];

    private CaptureReader(string dir, SessionHeader header, string[] chunks)
    {
        Directory = dir;
        Header = header;
        _chunks = chunks;
        _probesById = new ProbeSpec?[header.Probes.Count == 0 ? 0 : Math.Min(header.Probes.Max(p => p.Id) + 1, 1 << 20)];
        foreach (var p in header.Probes)
            if ((uint)p.Id < (uint)_probesById.Length) _probesById[p.Id] = p;
        _shapes = _probesById.Select(p => p is null ? FastEventParser.Shape.None : FastEventParser.Shape.Of(p.Plan)).ToArray();
    }

    /// <summary>The capture directory.</summary>
    public string Directory { get; }

    /// <summary>The session header from the manifest (or the first chunk, when the manifest is gone).</summary>
    public SessionHeader Header { get; }

    /// <summary>The chunk files, in order.</summary>
    public IReadOnlyList<string> Chunks => _chunks;

    /// <summary>The trailer, after <see cref="Events"/> was enumerated to the end; null if the capture was cut.</summary>
    public Trailer? Trailer { get; private set; }

    /// <summary>The last cumulative counters per probe and CPU, after enumeration.</summary>
    public IReadOnlyCollection<LossCounter> Losses => _loss.Values;

    /// <summary>Distinct user stacks seen so far, by capture-wide id (complete after enumeration).</summary>
    public IReadOnlyList<UserStack> Stacks => _stacks.All;

    /// <summary>Per process, where the traced binaries were mapped (the latest mapping item seen so far).</summary>
    public IReadOnlyDictionary<uint, IReadOnlyList<BinaryMapping>> Mappings => _mappings;

    /// <summary>Torn tails and other recoverable damage, after enumeration.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Opens a capture directory, or fails in one line if it is not one.</summary>
    public static CaptureReader Open(string path)
    {
        if (File.Exists(path))
            throw new CalltapeException($"{path}: not a Calltape capture (a capture is a directory made by calltape-record)", ExitCodes.CorruptCapture);
        if (!System.IO.Directory.Exists(path))
            throw new CalltapeException($"{path}: no such capture", ExitCodes.NotFound);
        var chunks = System.IO.Directory.EnumerateFiles(path)
            .Where(f => CaptureFormat.IsChunkName(Path.GetFileName(f)))
            .Order(StringComparer.Ordinal)
            .ToArray();
        var manifest = Path.Combine(path, CaptureFormat.ManifestFile);
        var headerSource = File.Exists(manifest) ? manifest : chunks.FirstOrDefault()
            ?? throw new CalltapeException($"{path}: not a Calltape capture (no {CaptureFormat.ManifestFile} and no chunks)", ExitCodes.CorruptCapture);
        var bytes = File.ReadAllBytes(headerSource);
        var r = new MessagePackReader(bytes);
        var header = ReadHeaderItem(ref r, headerSource, out _);
        return new CaptureReader(path, header, chunks);
    }

    /// <summary>Every event of every chunk, in file order. Counters, trailer and warnings fill in as it goes.</summary>
    public IEnumerable<RawEvent> Events()
    {
        _loss.Clear();
        _warnings.Clear();
        Trailer = null;
        foreach (var chunk in _chunks)
            foreach (var e in ReadChunk(chunk))
                yield return e;
        // A cut that fell between two records tears nothing, but the capture still did not end cleanly.
        if (Trailer is null && _warnings.Count == 0)
            _warnings.Add("no trailer: the recording did not finish cleanly (recorder killed?); read up to its last flush");
    }

    /// <summary>Bytes of a chunk held at once: chunks are 64 MiB, and holding one whole was most of a conversion's
    /// memory beside its row groups; an item longer than this grows the window.</summary>
    private const int WindowBytes = 4 << 20;

    private IEnumerable<RawEvent> ReadChunk(string path)
    {
        using var file = File.OpenHandle(path);
        var w = new ChunkWindow(file, (int)Math.Min(RandomAccess.GetLength(file), WindowBytes));
        if (w.Length == 0)
        {
            _warnings.Add($"{Path.GetFileName(path)}: empty (the recorder stopped before writing it)");
            yield break;
        }
        w.Fill();
        while (!w.AtEnd && IsTornHeader(w.Rest(0))) w.More(0);
        var pos = SkipHeader(w.Rest(0), path, path == _chunks[^1]);
        if (pos < 0) yield break;
        var threads = new List<(uint Pid, uint Tid)>();
        var stacks = new List<UserStack>();
        ulong ktime = 0;
        var count = 0L;
        while (true)
        {
            if (pos == w.Count)
            {
                if (w.AtEnd) break;
                pos = w.More(pos);
                continue;
            }
            RawEvent? ev;
            int consumed;
            if (FastEventParser.TryRead(w.Rest(pos).Span, _shapes, threads, stacks, ref ktime, out ev, out consumed))
            {
                pos += consumed;
                count++;
                yield return ev!;
                continue;
            }
            // ktime advances only once the whole item was read: a retry after refilling the window must not add twice.
            var kt = ktime;
            try
            {
                ev = ReadItem(w.Rest(pos), threads, stacks, ref kt, out consumed);
            }
            catch (EndOfStreamException) when (!w.AtEnd)
            {
                pos = w.More(pos); // the item runs past the window
                continue;
            }
            catch (EndOfStreamException)
            {
                _warnings.Add($"{Path.GetFileName(path)}: cut after {count} records; {w.Length - w.Offset(pos)} trailing bytes of a torn record ignored");
                yield break;
            }
            catch (Exception ex) when (ex is MessagePackSerializationException or InvalidDataException or InvalidOperationException or OverflowException)
            {
                throw new CalltapeException($"{path}: corrupt record at byte {w.Offset(pos)}: {ex.Message}", ExitCodes.CorruptCapture);
            }
            ktime = kt;
            pos += consumed;
            if (ev is null) continue;
            count++;
            yield return ev;
        }
    }

    /// <summary>A sliding window over a chunk file: the bytes from file offset <see cref="Start"/>, <see cref="Count"/> of them.</summary>
    private sealed class ChunkWindow(Microsoft.Win32.SafeHandles.SafeFileHandle file, int size)
    {
        private byte[] _buf = new byte[Math.Max(size, 1)];

        public long Length { get; private set; } = RandomAccess.GetLength(file);
        public long Start { get; private set; }
        public int Count { get; private set; }
        public bool AtEnd => Start + Count >= Length;

        public long Offset(int pos) => Start + pos;

        public ReadOnlyMemory<byte> Rest(int pos) => new(_buf, pos, Count - pos);

        public void Fill()
        {
            while (Count < _buf.Length && !AtEnd)
            {
                var n = RandomAccess.Read(file, _buf.AsSpan(Count), Start + Count);
                if (n == 0)
                {
                    Length = Start + Count; // the file shrank under us: what was read is all there is
                    break;
                }
                Count += n;
            }
        }

        /// <summary>Drops the bytes before <paramref name="pos"/>, reads more (growing the buffer when one item fills it),
        /// and returns where <paramref name="pos"/> now is.</summary>
        public int More(int pos)
        {
            var keep = Count - pos;
            if (keep == _buf.Length) Array.Resize(ref _buf, _buf.Length * 2);
            else if (pos > 0) Buffer.BlockCopy(_buf, pos, _buf, 0, keep);
            if (pos > 0)
            {
                Start += pos;
                Count = keep;
            }
            Fill();
            return 0;
        }
    }

    private RawEvent? ReadItem(ReadOnlyMemory<byte> mem, List<(uint Pid, uint Tid)> threads, List<UserStack> stacks, ref ulong ktime, out int consumed)
    {
        var r = new MessagePackReader(mem);
        var n = r.ReadArrayHeader();
        var tag = r.ReadInt32();
        RawEvent? result = null;
        switch (tag)
        {
            case CaptureFormat.TagThread:
                var idx = r.ReadInt32();
                if (idx != threads.Count) throw new InvalidDataException($"thread {idx} defined out of order");
                threads.Add((r.ReadUInt32(), r.ReadUInt32()));
                break;
            case CaptureFormat.TagLoss:
                r.ReadUInt64();
                for (int i = 0, c = r.ReadArrayHeader(); i < c; i++)
                {
                    if (r.ReadArrayHeader() != 4) throw new InvalidDataException("loss entry is not of 4");
                    var lc = new LossCounter(r.ReadInt32(), r.ReadInt32(), r.ReadUInt64(), r.ReadUInt64());
                    _loss[(lc.Probe, lc.Cpu)] = lc;
                }
                break;
            case CaptureFormat.TagTrailer:
                Trailer = new Trailer(r.ReadUInt64(), r.ReadString() ?? "", r.ReadInt64());
                break;
            case CaptureFormat.TagStack:
                if (n != 5) throw new InvalidDataException($"stack item of {n} elements");
                var si = r.ReadInt32();
                if (si != stacks.Count) throw new InvalidDataException($"stack {si} defined out of order");
                var spid = r.ReadUInt32();
                var sflags = (StackFlags)r.ReadInt32();
                var frames = new ulong[r.ReadArrayHeader()];
                for (var i = 0; i < frames.Length; i++) frames[i] = r.ReadUInt64();
                stacks.Add(_stacks.Intern(spid, sflags, frames));
                break;
            case CaptureFormat.TagMapping:
                if (n != 3) throw new InvalidDataException($"mapping item of {n} elements");
                var mpid = r.ReadUInt32();
                var maps = new BinaryMapping[r.ReadArrayHeader()];
                for (var i = 0; i < maps.Length; i++)
                {
                    if (r.ReadArrayHeader() != 4) throw new InvalidDataException("mapping entry is not of 4");
                    maps[i] = new BinaryMapping(r.ReadInt32(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64());
                }
                _mappings[mpid] = maps;
                break;
            case CaptureFormat.TagHeader:
                throw new InvalidDataException("a second header inside a chunk");
            default:
                if (tag < 0) throw new InvalidDataException($"unknown item tag {tag}");
                result = ReadEvent(ref r, n, tag, threads, stacks, ref ktime);
                break;
        }
        consumed = (int)r.Consumed;
        return result;
    }

    private RawEvent ReadEvent(ref MessagePackReader r, int n, int probeId, List<(uint Pid, uint Tid)> threads, List<UserStack> stacks, ref ulong ktime)
    {
        var probe = (uint)probeId < (uint)_probesById.Length ? _probesById[probeId] : null;
        if (probe is null) throw new InvalidDataException($"event of unknown probe {probeId}");
        ktime += (ulong)r.ReadInt64();
        var t = r.ReadInt32();
        if ((uint)t >= (uint)threads.Count) throw new InvalidDataException($"event names undefined thread {t}");
        var plan = probe.Plan;
        var hasStack = plan.StackLen > 0;
        var want = 3 + plan.Registers.Count + (hasStack ? 1 : 0) + plan.Derefs.Count + (plan.UserStack > 0 ? 1 : 0);
        if (n != want)
            throw new InvalidDataException($"event of probe {probeId} has {n} elements, its plan says {want}");
        var regs = new ulong[plan.Registers.Count];
        for (var i = 0; i < regs.Length; i++) regs[i] = r.ReadUInt64();
        byte[]? stack = null;
        if (hasStack && !r.TryReadNil()) stack = ReadBytes(ref r);
        var derefs = new DerefData[plan.Derefs.Count];
        for (var i = 0; i < derefs.Length; i++)
        {
            switch (r.NextMessagePackType)
            {
                case MessagePackType.Integer: derefs[i] = new DerefData([], 0, r.ReadInt32()); break;
                case MessagePackType.Array:
                    r.ReadArrayHeader();
                    var b = ReadBytes(ref r);
                    derefs[i] = new DerefData(b, r.ReadInt64(), 0);
                    break;
                default:
                    var d = ReadBytes(ref r);
                    derefs[i] = new DerefData(d, d.Length, 0);
                    break;
            }
        }
        UserStack? user = null;
        if (plan.UserStack > 0 && !r.TryReadNil())
        {
            var si = r.ReadInt32();
            if ((uint)si >= (uint)stacks.Count) throw new InvalidDataException($"event names undefined stack {si}");
            user = stacks[si];
        }
        return new RawEvent(probeId, ktime, threads[t].Pid, threads[t].Tid, regs, stack, derefs) { UserStack = user };
    }

    /// <summary>The header item's length, or -1 when the last chunk was cut inside it (one warning).</summary>
    private int SkipHeader(ReadOnlyMemory<byte> mem, string path, bool isLast)
    {
        try
        {
            var r = new MessagePackReader(mem);
            ReadHeaderItem(ref r, path, out var consumed);
            return consumed;
        }
        catch (CalltapeException) when (isLast && IsTornHeader(mem))
        {
            // The recorder died while writing the first bytes of a fresh chunk: nothing in it was an event.
            _warnings.Add($"{Path.GetFileName(path)}: cut inside its header; {mem.Length} bytes ignored");
            return -1;
        }
    }

    /// <summary>True when the bytes are a strict prefix of a header item (the manifest's bytes are not needed: the tag and magic suffice).</summary>
    private static bool IsTornHeader(ReadOnlyMemory<byte> mem)
    {
        try
        {
            var r = new MessagePackReader(mem);
            r.Skip();
            return false; // a complete item: real damage, not a cut
        }
        catch (EndOfStreamException)
        {
            return true;
        }
        catch (MessagePackSerializationException)
        {
            return false;
        }
    }

    private static byte[] ReadBytes(ref MessagePackReader r)
    {
        var seq = r.ReadBytes() ?? throw new InvalidDataException("expected bytes, found nil");
        return System.Buffers.BuffersExtensions.ToArray(seq);
    }

    private static SessionHeader ReadHeaderItem(ref MessagePackReader r, string path, out int consumed)
    {
        try
        {
            if (r.NextMessagePackType != MessagePackType.Array || r.ReadArrayHeader() != 4 || r.ReadInt32() != CaptureFormat.TagHeader
                || r.NextMessagePackType != MessagePackType.String || r.ReadString() != CaptureFormat.Magic)
                throw new CalltapeException($"{path}: not a Calltape capture (bad magic)", ExitCodes.CorruptCapture);
            r.ReadInt32();
            var header = HeaderCodec.Read(ref r);
            if (header.FormatVersion != CaptureFormat.Version)
                throw new CalltapeException($"{path}: capture format version {header.FormatVersion} is not supported (this build reads version {CaptureFormat.Version})", ExitCodes.Unsupported);
            if (header.FormatMinor > CaptureFormat.Minor)
                throw new CalltapeException($"{path}: capture format version {header.FormatVersion}.{header.FormatMinor} is newer than this build reads ({CaptureFormat.Version}.{CaptureFormat.Minor})", ExitCodes.Unsupported);
            consumed = (int)r.Consumed;
            return header;
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidDataException or InvalidOperationException or OverflowException)
        {
            throw new CalltapeException($"{path}: not a Calltape capture (unreadable header: {ex.Message})", ExitCodes.CorruptCapture);
        }
    }
}
