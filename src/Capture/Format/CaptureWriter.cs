using System.Buffers;
using Calltape.Capture.Model;
using MessagePack;

namespace Calltape.Capture.Format;

/// <summary>Where one dereference's bytes sit inside the data span passed to <see cref="CaptureWriter.WriteEvent"/>.</summary>
public readonly record struct DerefSlice(int Offset, int Length, long Want, int Error);

/// <summary>See <see cref="CaptureWriter.OnNewStack"/>.</summary>
public delegate void NewStackHandler(uint pid, ReadOnlySpan<ulong> frames);

/// <summary>The user stack of one event, for a probe whose plan has <c>UserStack</c> &gt; 0.</summary>
/// <param name="Planned">The probe records stacks: the event gets a stack element (an index, or nil when absent).</param>
/// <param name="Present">This event carries a stack (false: the ring record had no stack block).</param>
/// <param name="Flags">StackFlags bits: 1 truncated at the depth limit, 2 a frame pointer was unreadable.</param>
/// <param name="Frames">Frame 0 is the probed instruction, then return addresses, innermost first.</param>
public readonly ref struct UserStackSample(bool planned, bool present, int flags, ReadOnlySpan<ulong> frames)
{
    public static UserStackSample None => default;
    public bool Planned { get; } = planned;
    public bool Present { get; } = present;
    public int Flags { get; } = flags;
    public ReadOnlySpan<ulong> Frames { get; } = frames;
}

/// <summary>Appends records to size-rotated chunk files of a capture directory (docs/FORMAT.md).</summary>
/// <remarks>
/// Every record is one top-level MessagePack item, so a reader recovers every record before a torn tail. Every chunk
/// starts with the session header and its own thread table, so each chunk decodes alone. Files are created 0600:
/// captures hold argument values.
/// </remarks>
public sealed class CaptureWriter : IDisposable
{
    private const int BufferFlushBytes = 256 << 10;

    private readonly string _dir;
    private readonly SessionHeader _header;
    private readonly long _chunkSize;
    private readonly ArrayBufferWriter<byte> _buf = new(BufferFlushBytes * 2);
    private readonly Dictionary<ulong, int> _threads = [];
    private readonly StackTable _stacks = new();
    private readonly Dictionary<uint, (IReadOnlyList<BinaryMapping> Maps, bool Written)> _mappings = [];
    private FileStream? _file;
    private long _chunkBytes;
    private ulong _lastKtime;
    private bool _completed;

    private CaptureWriter(string dir, SessionHeader header, long chunkSize)
    {
        _dir = dir;
        _header = header;
        _chunkSize = chunkSize;
    }

    /// <summary>Chunks written so far.</summary>
    public int ChunkCount { get; private set; }

    /// <summary>Bytes handed to the OS so far, over all chunks.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Events written so far.</summary>
    public long Events { get; private set; }

    /// <summary>Creates the capture directory, writes the manifest and opens the first chunk.</summary>
    public static CaptureWriter Create(string dir, SessionHeader header, long chunkSize = CaptureFormat.DefaultChunkSize)
    {
        if (chunkSize < 4096) throw new CalltapeException("--chunk-size must be at least 4096 bytes");
        if (File.Exists(dir)) throw new CalltapeException($"{dir} exists and is not a capture directory");
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new CalltapeException($"{dir} exists and is not empty; choose another -o or remove it");
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var w = new CaptureWriter(dir, header, chunkSize);
        using (var manifest = OpenPrivate(Path.Combine(dir, CaptureFormat.ManifestFile)))
        {
            var mbuf = new ArrayBufferWriter<byte>();
            var mw = new MessagePackWriter(mbuf);
            WriteHeaderItem(ref mw, header, -1);
            mw.Flush();
            manifest.Write(mbuf.WrittenSpan);
        }
        w.OpenChunk(0);
        return w;
    }

    /// <summary>Called before a stack is written for the first time in a chunk, so the recorder can supply the
    /// process's mappings (<see cref="SetMappings"/>) while they are still readable.</summary>
    public NewStackHandler? OnNewStack { get; set; }

    /// <summary>Where the traced binaries are mapped in a process: written (once per chunk) before its first stack item.</summary>
    public void SetMappings(uint pid, IReadOnlyList<BinaryMapping> maps)
    {
        if (_mappings.Count >= StackTable.MaxEntries && !_mappings.ContainsKey(pid)) _mappings.Clear(); // bounded: many short-lived processes
        _mappings[pid] = (maps, false);
    }

    /// <summary>Distinct user stacks written so far (a stack written again in a later chunk counts again).</summary>
    public long StacksWritten => _stacks.Written;

    /// <summary>Appends one probe hit. <paramref name="registers"/> are the plan's kept registers in order.</summary>
    public void WriteEvent(int probe, ulong ktimeNs, uint pid, uint tid, ReadOnlySpan<ulong> registers,
        bool hasStack, ReadOnlySpan<byte> stack, ReadOnlySpan<byte> data, ReadOnlySpan<DerefSlice> derefs) =>
        WriteEvent(probe, ktimeNs, pid, tid, registers, hasStack, stack, data, derefs, UserStackSample.None);

    /// <summary>Appends one probe hit of a probe whose plan records user stacks when <paramref name="userStack"/> is not None.</summary>
    /// <remarks>The stack is written once per chunk as a stack item (deduplicated by <see cref="StackTable"/>); the event names its index.</remarks>
    public void WriteEvent(int probe, ulong ktimeNs, uint pid, uint tid, ReadOnlySpan<ulong> registers,
        bool hasStack, ReadOnlySpan<byte> stack, ReadOnlySpan<byte> data, ReadOnlySpan<DerefSlice> derefs, UserStackSample userStack)
    {
        var key = ((ulong)pid << 32) | tid;
        var w = new MessagePackWriter(_buf);
        if (!_threads.TryGetValue(key, out var thread))
        {
            thread = _threads.Count;
            _threads.Add(key, thread);
            w.WriteArrayHeader(4);
            w.Write(CaptureFormat.TagThread); w.Write(thread); w.Write(pid); w.Write(tid);
        }
        var stackIndex = -1;
        if (userStack.Present)
        {
            stackIndex = _stacks.Lookup(pid, userStack.Flags, userStack.Frames, out var isNew);
            if (isNew)
            {
                OnNewStack?.Invoke(pid, userStack.Frames);
                if (_mappings.TryGetValue(pid, out var m) && !m.Written)
                {
                    w.WriteArrayHeader(3);
                    w.Write(CaptureFormat.TagMapping); w.Write(pid);
                    w.WriteArrayHeader(m.Maps.Count);
                    foreach (var x in m.Maps)
                    {
                        w.WriteArrayHeader(4); w.Write(x.Binary); w.Write(x.Start); w.Write(x.End); w.Write(x.FileOffset);
                    }
                    _mappings[pid] = (m.Maps, true);
                }
                w.WriteArrayHeader(5);
                w.Write(CaptureFormat.TagStack); w.Write(stackIndex); w.Write(pid); w.Write(userStack.Flags);
                w.WriteArrayHeader(userStack.Frames.Length);
                foreach (var f in userStack.Frames) w.Write(f);
            }
        }
        w.WriteArrayHeader(3 + registers.Length + (hasStack ? 1 : 0) + derefs.Length + (userStack.Planned ? 1 : 0));
        w.Write(probe);
        // Records from different CPUs reach the ring slightly out of order, so the delta is signed.
        w.Write((long)(ktimeNs - _lastKtime));
        _lastKtime = ktimeNs;
        w.Write(thread);
        foreach (var r in registers) w.Write(r);
        if (hasStack)
        {
            if (stack.IsEmpty) w.WriteNil(); else w.Write(stack);
        }
        foreach (var d in derefs)
        {
            if (d.Error != 0) { w.Write(d.Error); continue; }
            var bytes = data.Slice(d.Offset, d.Length);
            if (d.Want > d.Length)
            {
                w.WriteArrayHeader(2); w.Write(bytes); w.Write(d.Want);
            }
            else
            {
                w.Write(bytes);
            }
        }
        if (userStack.Planned)
        {
            if (stackIndex >= 0) w.Write(stackIndex); else w.WriteNil();
        }
        w.Flush();
        Events++;
        // Spill at the buffer size, or earlier when the chunk is full, so --chunk-size holds to within one event.
        if (_buf.WrittenCount >= BufferFlushBytes || _chunkBytes + _buf.WrittenCount >= _chunkSize) Spill();
    }

    /// <summary>Appends a cumulative snapshot of the per-probe, per-CPU counters.</summary>
    public void WriteLoss(ulong ktimeNs, IReadOnlyList<LossCounter> counters)
    {
        var w = new MessagePackWriter(_buf);
        w.WriteArrayHeader(3);
        w.Write(CaptureFormat.TagLoss); w.Write(ktimeNs);
        w.WriteArrayHeader(counters.Count);
        foreach (var c in counters)
        {
            w.WriteArrayHeader(4); w.Write(c.Probe); w.Write(c.Cpu); w.Write(c.Hits); w.Write(c.Drops);
        }
        w.Flush();
    }

    /// <summary>Hands buffered records to the OS: after this a dying recorder loses nothing already written.</summary>
    public void Flush()
    {
        Spill();
        _file?.Flush(flushToDisk: false);
    }

    /// <summary>Writes the trailer that marks a clean end, and closes the capture.</summary>
    public void Complete(ulong ktimeNs, string reason)
    {
        if (_completed) return;
        var w = new MessagePackWriter(_buf);
        w.WriteArrayHeader(4);
        w.Write(CaptureFormat.TagTrailer); w.Write(ktimeNs); w.Write(reason); w.Write(Events);
        w.Flush();
        // Set before the spill: a spill that crosses the chunk size must not open an empty chunk after the trailer.
        _completed = true;
        Flush();
        _file?.Flush(flushToDisk: true);
    }

    public void Dispose()
    {
        Spill();
        _file?.Dispose();
        _file = null;
    }

    private void Spill()
    {
        if (_buf.WrittenCount == 0 || _file is null) return;
        _file.Write(_buf.WrittenSpan);
        _chunkBytes += _buf.WrittenCount;
        BytesWritten += _buf.WrittenCount;
        _buf.ResetWrittenCount();
        if (_chunkBytes >= _chunkSize && !_completed) OpenChunk(ChunkCount);
    }

    private void OpenChunk(int seq)
    {
        _file?.Flush(flushToDisk: false);
        _file?.Dispose();
        _file = OpenPrivate(Path.Combine(_dir, CaptureFormat.ChunkName(seq)));
        ChunkCount = seq + 1;
        _chunkBytes = 0;
        _threads.Clear();
        _stacks.Reset();
        foreach (var pid in _mappings.Keys.ToArray()) _mappings[pid] = (_mappings[pid].Maps, false); // each chunk decodes alone
        _lastKtime = 0;
        var w = new MessagePackWriter(_buf);
        WriteHeaderItem(ref w, _header, seq);
        w.Flush();
        // The header goes out at once, so a chunk on disk is never without it.
        _file.Write(_buf.WrittenSpan);
        _chunkBytes += _buf.WrittenCount;
        BytesWritten += _buf.WrittenCount;
        _buf.ResetWrittenCount();
    }

    private static void WriteHeaderItem(ref MessagePackWriter w, SessionHeader header, int seq)
    {
        w.WriteArrayHeader(4);
        w.Write(CaptureFormat.TagHeader);
        w.Write(CaptureFormat.Magic);
        w.Write(seq);
        HeaderCodec.Write(ref w, header);
    }

    private static FileStream OpenPrivate(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        Share = FileShare.Read,
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        BufferSize = 0,
    });
}
