using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Capture.Redaction;
using Calltape.Analyzer.Bundles;
using Calltape.Recorder.Session;
using Calltape.Tests.Support;
using Calltape.Tests.Unit.Format;
using Xunit;

namespace Calltape.Tests.Unit.Stacks;

/// <summary>Mapping items: which /proc/PID/maps lines the recorder keeps, and their round trip through the format.</summary>
public class ProcessMapsTests
{
    private const string Maps = """
        55d460167000-55d460168000 r--p 00000000 fd:01 131 /tmp/cstk
        55d460168000-55d460169000 r-xp 00001000 fd:01 131 /tmp/cstk
        55d46016a000-55d46016b000 rw-p 00002000 fd:01 131 /tmp/cstk
        7f180f892000-7f180f8b8000 r--p 00000000 fd:01 77 /usr/lib/x86_64-linux-gnu/libc.so.6
        7f180f8b8000-7f180fa0d000 r-xp 00026000 fd:01 77 /usr/lib/x86_64-linux-gnu/libc.so.6
        7f180fa6e000-7f180fa70000 r-xp 00000000 00:00 0 [vdso]
        7ffd4d1f3000-7ffd4d214000 rw-p 00000000 00:00 0 [stack]
        """;

    [Fact]
    public void OnlyExecutableMappingsOfTheSessionsBinariesAreKept_WithTheirBinaryIndex()
    {
        var m = ProcessMaps.Parse(Maps, ["/tmp/cstk", "/usr/lib/x86_64-linux-gnu/libc.so.6"]);
        Assert.Equal(
            [new BinaryMapping(0, 0x55d460168000, 0x55d460169000, 0x1000), new BinaryMapping(1, 0x7f180f8b8000, 0x7f180fa0d000, 0x26000)],
            m);
        Assert.Empty(ProcessMaps.Parse(Maps, ["/bin/other"]));
    }

    [Fact]
    public void AMappingItemPrecedesTheFirstStackOfItsProcessInEveryChunk_AndReadsBack()
    {
        var dir = Path.Combine(Repo.NewTempDir("ustack-maps"), "cap.ctape");
        var probe = SampleCaptures.Record() with { Plan = SampleCaptures.Record().Plan with { UserStack = 8 } };
        BinaryMapping[] maps = [new(0, 0x400000, 0x401000, 0x1000)];
        var asked = 0;
        using (var w = CaptureWriter.Create(dir, SampleCaptures.Header(probe), chunkSize: 4096))
        {
            w.OnNewStack = (pid, frames) =>
            {
                asked++;
                if (asked == 1) w.SetMappings(pid, maps);
            };
            for (var i = 0; i < 300; i++)
                w.WriteEvent(0, 10 + (ulong)i, 42, 42, [1, 2, 3, 4], false, default, "abc"u8, [new DerefSlice(0, 3, 3, 0)],
                    new UserStackSample(true, true, 0, [0x400100, 0x400200 + (ulong)(i % 3)]));
            Assert.True(w.ChunkCount > 1);
            w.Complete(1000, "done");
        }
        var r = CaptureReader.Open(dir);
        Assert.Equal(300, r.Events().Count());
        Assert.Equal(maps, r.Mappings[42]);
        // Every chunk that has a stack item of pid 42 has its mapping item first.
        foreach (var chunk in r.Chunks)
        {
            var bytes = File.ReadAllBytes(chunk);
            var mapAt = bytes.AsSpan().IndexOf(new byte[] { 0x93, 0xfa, 42 });
            var stackAt = bytes.AsSpan().IndexOf(new byte[] { 0x95, 0xfb });
            if (stackAt >= 0) Assert.InRange(mapAt, 0, stackAt);
        }
    }

    [Fact]
    public void ARedactedRewrite_KeepsEveryStackAndItsMappings()
    {
        var src = Path.Combine(Repo.NewTempDir("ustack-redact"), "cap.ctape");
        var probe = SampleCaptures.Record() with { Plan = SampleCaptures.Record().Plan with { UserStack = 8 } };
        BinaryMapping[] maps = [new(0, 0x400000, 0x401000, 0x1000)];
        using (var w = CaptureWriter.Create(src, SampleCaptures.Header(probe)))
        {
            w.OnNewStack = (pid, _) => w.SetMappings(pid, maps);
            for (var i = 0; i < 10; i++)
                w.WriteEvent(0, 10 + (ulong)i, 42, 42, [1, 2, 3, 4], false, default, "abc"u8, [new DerefSlice(0, 3, 3, 0)],
                    new UserStackSample(true, i != 3, 0, [0x400100, 0x400200 + (ulong)(i % 2)]));
            w.Complete(100, "done");
        }
        var reader = CaptureReader.Open(src);
        var (plan, _) = Redactor.Plan(reader.Header.Probes, [RedactRule.Parse("name")]);
        var dst = Path.Combine(Repo.NewTempDir("ustack-redact-out"), "cap.ctape");
        Assert.Equal(10, RedactedCopy.Write(reader, plan, dst));

        var copy = CaptureReader.Open(dst);
        var before = CaptureReader.Open(src).Events().Select(e => e.UserStack?.Frames).ToList();
        var after = copy.Events().Select(e => e.UserStack?.Frames).ToList();
        Assert.Equal(before, after);
        Assert.Null(after[3]);
        Assert.Equal(maps, copy.Mappings[42]);
    }
}
