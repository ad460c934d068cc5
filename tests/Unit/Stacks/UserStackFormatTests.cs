using Calltape.Capture;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Tests.Support;
using Calltape.Tests.Unit.Format;
using Xunit;

namespace Calltape.Tests.Unit.Stacks;

/// <summary>User stacks in the capture format (docs/FORMAT.md, "Stack"): deduplicated stack items, round trip, versions.</summary>
public class UserStackFormatTests
{
    private static readonly ulong[] ChainA = [0x401010, 0x402033, 0x403044, 0x404055];
    private static readonly ulong[] ChainB = [0x401010, 0x405066, 0x404077];

    private static ProbeSpec Probe(int depth) => SampleCaptures.Record() with { Plan = SampleCaptures.Record().Plan with { UserStack = depth } };

    private static void Write(CaptureWriter w, ulong ktime, uint pid, ulong[]? frames, int flags = 0)
    {
        var bytes = "abc"u8.ToArray();
        ulong[] regs = [1, 0xc000010000, 3, 1];
        w.WriteEvent(0, ktime, pid, pid, regs, false, default, bytes, [new DerefSlice(0, 3, 3, 0)],
            new UserStackSample(true, frames is not null, flags, frames));
    }

    private static string Dir(string name) => Path.Combine(Repo.NewTempDir(name), "cap.ctape");

    [Fact]
    public void EveryEventReadsBackItsStack_AndEachDistinctStackIsWrittenOnce()
    {
        var dir = Dir("ustack-rt");
        using (var w = CaptureWriter.Create(dir, SampleCaptures.Header(Probe(16))))
        {
            Write(w, 10, 42, ChainA);
            Write(w, 20, 42, ChainB);
            Write(w, 30, 42, ChainA);
            Write(w, 40, 42, null); // the ring record had no stack block
            Write(w, 50, 43, ChainA); // same addresses, another process: another stack
            Write(w, 60, 42, ChainA, (int)StackFlags.Truncated); // same frames, cut at the depth limit: another stack
            Write(w, 70, 42, ChainB);
            Assert.Equal(4, w.StacksWritten);
            w.Complete(80, "done");
        }
        var r = CaptureReader.Open(dir);
        Assert.Equal(CaptureFormat.Minor, r.Header.FormatMinor);
        Assert.Equal(16, r.Header.Probes[0].Plan.UserStack);
        var events = r.Events().ToList();
        Assert.Equal(7, events.Count);
        Assert.Equal(ChainA, events[0].UserStack!.Frames);
        Assert.Equal(ChainB, events[1].UserStack!.Frames);
        Assert.Same(events[0].UserStack, events[2].UserStack);
        Assert.Null(events[3].UserStack);
        Assert.Equal(43u, events[4].UserStack!.Pid);
        Assert.NotEqual(events[0].UserStack!.Id, events[4].UserStack!.Id);
        Assert.Equal(StackFlags.Truncated, events[5].UserStack!.Flags);
        Assert.NotEqual(events[0].UserStack!.Id, events[5].UserStack!.Id);
        Assert.Equal(events[1].UserStack!.Id, events[6].UserStack!.Id);
        Assert.Equal(4, r.Stacks.Count);
        Assert.Equal(Enumerable.Range(0, 4), r.Stacks.Select(s => s.Id));
        // The other fields are untouched by the trailing stack element.
        Assert.All(events, e => Assert.Equal("abc"u8.ToArray(), e.Derefs[0].Data));
    }

    [Fact]
    public void EachChunkDefinesItsOwnStacks_AndTheReaderGivesEqualStacksOneId()
    {
        var dir = Dir("ustack-chunks");
        using (var w = CaptureWriter.Create(dir, SampleCaptures.Header(Probe(16)), chunkSize: 4096))
        {
            for (var i = 0; i < 400; i++) Write(w, 10 + (ulong)i, 42, i % 2 == 0 ? ChainA : ChainB);
            Assert.True(w.ChunkCount > 2, $"{w.ChunkCount} chunks");
            // Each chunk writes each stack again, so it decodes alone.
            Assert.Equal(2 * w.ChunkCount, w.StacksWritten);
            w.Complete(1000, "done");
        }
        var r = CaptureReader.Open(dir);
        var events = r.Events().ToList();
        Assert.Equal(400, events.Count);
        Assert.Equal(2, r.Stacks.Count);
        for (var i = 0; i < events.Count; i++)
            Assert.Equal(i % 2 == 0 ? ChainA : ChainB, events[i].UserStack!.Frames);
    }

    [Fact]
    public void TheDedupTableIsBounded_AndAStackSeenAgainAfterEvictionIsWrittenAgainWithoutConfusion()
    {
        var dir = Dir("ustack-evict");
        var n = StackTable.MaxEntries + 10;
        using (var w = CaptureWriter.Create(dir, SampleCaptures.Header(Probe(16)), chunkSize: 1L << 30))
        {
            for (var i = 0; i < n; i++) Write(w, 10 + (ulong)i, 42, [0x401010, 0x500000 + (ulong)i]);
            Write(w, (ulong)n + 20, 42, [0x401010, 0x500000]); // the first stack, evicted by now
            Assert.Equal(n + 1, w.StacksWritten);
            w.Complete((ulong)n + 30, "done");
        }
        var r = CaptureReader.Open(dir);
        var events = r.Events().ToList();
        Assert.Equal(n + 1, events.Count);
        Assert.Equal(n, r.Stacks.Count);
        Assert.Equal(events[0].UserStack!.Id, events[^1].UserStack!.Id);
        Assert.Equal(0x500000UL + 5, events[5].UserStack!.Frames[1]);
    }

    [Fact]
    public void ACaptureWithoutStacks_HasNoMinorVersion_AndANewerMinorIsRefused()
    {
        var plain = Dir("ustack-plain");
        using (var w = CaptureWriter.Create(plain, SampleCaptures.Header(SampleCaptures.Record())))
            w.Complete(1, "done");
        // Byte-identical to a capture from before stacks existed: no "minor" key.
        Assert.True(File.ReadAllBytes(Path.Combine(plain, CaptureFormat.ManifestFile)).AsSpan().IndexOf("minor"u8) < 0);
        Assert.Equal(0, CaptureReader.Open(plain).Header.FormatMinor);

        var newer = Dir("ustack-newer");
        using (var w = CaptureWriter.Create(newer, SampleCaptures.Header(Probe(8))))
            w.Complete(1, "done");
        foreach (var f in Directory.GetFiles(newer))
        {
            var bytes = File.ReadAllBytes(f);
            var at = bytes.AsSpan().IndexOf("minor"u8);
            Assert.True(at > 0);
            Assert.Equal(CaptureFormat.Minor, bytes[at + 5]); // a positive fixint
            bytes[at + 5] = (byte)(CaptureFormat.Minor + 1);
            File.WriteAllBytes(f, bytes);
        }
        var e = Assert.Throws<CalltapeException>(() => CaptureReader.Open(newer));
        Assert.Contains("newer than this build reads", e.Message);
    }
}
