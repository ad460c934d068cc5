using Xunit;
using Calltape.Capture;
using Calltape.Capture.Decoding;
using Calltape.Capture.Format;
using Calltape.Tests.Support;

namespace Calltape.Tests.Unit.Format;

/// <summary>Round trip, rotation, flush and damage handling of the capture format (docs/FORMAT.md).</summary>
public class CaptureFormatTests
{
    private static string NewDir() => Path.Combine(Repo.NewTempDir("fmt"), "c.ctape");

    [Fact]
    public void RoundTripsHeaderEventsLossAndTrailer()
    {
        var dir = NewDir();
        var header = SampleCaptures.Header(SampleCaptures.Record());
        using (var w = CaptureWriter.Create(dir, header))
        {
            SampleCaptures.WriteRecord(w, 5_000, 7, -3, "abc", true);
            SampleCaptures.WriteRecord(w, 4_900, 8, long.MaxValue, "0123456789", false); // out of order: negative delta
            w.WriteLoss(6_000, [new(0, 1, 3, 1)]);
            w.Complete(7_000, "done");
        }
        var r = CaptureReader.Open(dir);
        Assert.Equal(header.Probes[0], r.Header.Probes[0] with { }, new ProbeComparer());
        Assert.Equal("host", r.Header.Host);
        Assert.Equal(header.Clock, r.Header.Clock);
        var events = r.Events().ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal((5_000UL, 7U, 42U), (events[0].KtimeNs, events[0].Tid, events[0].Pid));
        Assert.Equal(4_900UL, events[1].KtimeNs);
        var v0 = ValueDecoder.Decode(r.Header.Probes[0], events[0]);
        Assert.Equal([-3L, "abc", true], v0.Select(v => v.Value));
        var v1 = ValueDecoder.Decode(r.Header.Probes[0], events[1]);
        Assert.Equal(long.MaxValue, v1[0].Value);
        Assert.Null(v1[1].Value);
        Assert.Equal("truncated at 8 of 10 bytes", v1[1].NotCaptured);
        Assert.Equal("01234567", v1[1].Partial);
        Assert.Equal(false, v1[2].Value);
        Assert.Equal("done", r.Trailer?.Reason);
        Assert.Equal(2, r.Trailer?.Events);
        Assert.Equal(1UL, Assert.Single(r.Losses).Drops);
        Assert.Empty(r.Warnings);
    }

    [Fact]
    public void RotatesChunksEachDecodingAlone()
    {
        var dir = NewDir();
        using (var w = CaptureWriter.Create(dir, SampleCaptures.Header(SampleCaptures.Record()), chunkSize: 4096))
        {
            for (var i = 0; i < 20_000; i++) SampleCaptures.WriteRecord(w, (ulong)(1000 + i), (uint)(i % 5), i, "n" + i, i % 2 == 0);
            w.Complete(99_999, "done");
            Assert.True(w.ChunkCount > 3);
        }
        var chunks = Directory.GetFiles(dir, "chunk-*.ctc").Order().ToArray();
        Assert.True(chunks.Length > 3);
        var all = CaptureReader.Open(dir).Events().ToList();
        Assert.Equal(Enumerable.Range(0, 20_000).Select(i => (ulong)(1000 + i)), all.Select(e => e.KtimeNs));

        // A middle chunk alone (with the manifest) still decodes: its own header and thread table.
        var alone = Path.Combine(Repo.NewTempDir("alone"), "c.ctape");
        Directory.CreateDirectory(alone);
        File.Copy(chunks[2], Path.Combine(alone, "chunk-000000.ctc"));
        var part = CaptureReader.Open(alone).Events().ToList();
        Assert.NotEmpty(part);
        Assert.All(part, e => Assert.Equal(e.KtimeNs - 1000, (ulong)(long)ValueDecoder.Decode(SampleCaptures.Record(), e)[0].Value!));
    }

    [Fact]
    public void FlushMakesEventsVisibleBeforeClose()
    {
        var dir = NewDir();
        using var w = CaptureWriter.Create(dir, SampleCaptures.Header(SampleCaptures.Record()));
        for (var i = 0; i < 10; i++) SampleCaptures.WriteRecord(w, (ulong)i, 1, i, "x", true);
        w.Flush();
        var r = CaptureReader.Open(dir);
        Assert.Equal(10, r.Events().Count());
        Assert.Null(r.Trailer); // not ended: a reader sees a cut capture
    }

    [Fact]
    public void TornTailKeepsEveryCompleteRecord()
    {
        var dir = NewDir();
        using (var w = CaptureWriter.Create(dir, SampleCaptures.Header(SampleCaptures.Record())))
        {
            for (var i = 0; i < 500; i++) SampleCaptures.WriteRecord(w, (ulong)i, 1, i, "name" + i, true);
            w.Complete(1000, "done");
        }
        var chunk = Directory.GetFiles(dir, "chunk-*.ctc").Single();
        var bytes = File.ReadAllBytes(chunk);
        var last = -1;
        for (var cut = bytes.Length - 1; cut > bytes.Length - 4000; cut -= 97)
        {
            File.WriteAllBytes(chunk, bytes[..cut]);
            var r = CaptureReader.Open(dir);
            var events = r.Events().ToList();
            Assert.Equal(Enumerable.Range(0, events.Count).Select(i => (ulong)i), events.Select(e => e.KtimeNs));
            Assert.Null(r.Trailer);
            Assert.True(last < 0 || events.Count <= last);
            last = events.Count;
        }
        Assert.InRange(last, 1, 499);
    }

    [Fact]
    public void ForeignFilesAreRejectedInOneLine()
    {
        var dir = Repo.NewTempDir("foreign");
        var junk = new byte[1000];
        new Random(1).NextBytes(junk);
        File.WriteAllBytes(Path.Combine(dir, "manifest.msgpack"), junk);
        var ex = Assert.Throws<CalltapeException>(() => CaptureReader.Open(dir));
        Assert.Contains("not a Calltape capture", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Throws<CalltapeException>(() => CaptureReader.Open(Path.Combine(dir, "manifest.msgpack")));
        Assert.Equal(ExitCodes.NotFound, Assert.Throws<CalltapeException>(() => CaptureReader.Open("/nonexistent/x.ctape")).ExitCode);
    }

    [Fact]
    public void FilesArePrivate()
    {
        var dir = NewDir();
        using (var w = CaptureWriter.Create(dir, SampleCaptures.Header(SampleCaptures.Record()))) w.Complete(1, "done");
        foreach (var f in Directory.GetFiles(dir))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f));
    }

    [Fact]
    public void TwoSmallIntegersCostFewBytesPerEvent()
    {
        var dir = NewDir();
        var probe = SampleCaptures.Record() with
        {
            Plan = new([global::Calltape.Capture.Model.Reg.Rax, global::Calltape.Capture.Model.Reg.Rbx], 0, []),
        };
        long before;
        using (var w = CaptureWriter.Create(dir, SampleCaptures.Header(probe)))
        {
            w.Flush();
            before = w.BytesWritten;
            for (var i = 0; i < 10_000; i++)
                w.WriteEvent(0, 1_000_000_000UL + (ulong)i * 1500, 9, (uint)(i % 4), [(ulong)(i % 5000), 7], false, default, default, default);
            w.Flush();
            Assert.InRange((w.BytesWritten - before) / 10_000.0, 1, 16);
        }
    }

    private sealed class ProbeComparer : IEqualityComparer<global::Calltape.Capture.Model.ProbeSpec>
    {
        public bool Equals(global::Calltape.Capture.Model.ProbeSpec? a, global::Calltape.Capture.Model.ProbeSpec? b) =>
            a is not null && b is not null && a.Id == b.Id && a.Function == b.Function && a.FileOffset == b.FileOffset
            && a.Plan.Registers.SequenceEqual(b.Plan.Registers) && a.Plan.Derefs.SequenceEqual(b.Plan.Derefs)
            && a.Params.Select(p => (p.Name, p.Type.Name, p.Type.Kind, p.Deref)).SequenceEqual(b.Params.Select(p => (p.Name, p.Type.Name, p.Type.Kind, p.Deref)))
            && a.Params.Select(p => string.Join(',', p.Pieces)).SequenceEqual(b.Params.Select(p => string.Join(',', p.Pieces)));

        public int GetHashCode(global::Calltape.Capture.Model.ProbeSpec p) => p.Id;
    }
}
