using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Format;

/// <summary>The reader holds a window of a chunk, not the chunk: items across the window's edge, items larger than the
/// window, and a torn tail read exactly as before.</summary>
public class ChunkWindowTests
{
    /// <summary>main.blob(b string) with a 16 MiB deref, so single items can exceed the 4 MiB window.</summary>
    private static readonly ProbeSpec Blob = new(0, "main.blob", 0, 0x401000, 4, 0x1004, AbiKind.GoRegs,
        new CapturePlan([Reg.Rax, Reg.Rbx], 0, [new DerefSpec(Source.Of(Reg.Rax), Source.Of(Reg.Rbx), 16 << 20)]),
        [new ParamSpec("b", SampleCaptures.GoString, [Source.Of(Reg.Rax), Source.Of(Reg.Rbx)], 0)]);

    private static int SizeOf(int i) => i == 500 ? 9 << 20 : 1000 + i * 37 % 20_000;

    private static byte[] Bytes(int i)
    {
        var b = new byte[SizeOf(i)];
        new Random(i).NextBytes(b);
        return b;
    }

    private static string Write(int events)
    {
        var dir = Path.Combine(Repo.NewTempDir("window"), "w.ctape");
        using var w = CaptureWriter.Create(dir, SampleCaptures.Header(Blob), chunkSize: 1L << 30);
        for (var i = 0; i < events; i++)
        {
            var b = Bytes(i);
            w.WriteEvent(0, 1_000UL + (ulong)i * 7, 42, (uint)(i % 3), [0xc000000000UL, (ulong)b.Length], false, default, b,
                [new DerefSlice(0, b.Length, b.Length, 0)]);
        }
        w.Complete(1_000UL + (ulong)events * 7, "done");
        return dir;
    }

    [Fact]
    public void ItemsAcrossAndLargerThanTheWindow_ReadBackExactly()
    {
        var dir = Write(1200);
        var r = CaptureReader.Open(dir);
        Assert.Single(r.Chunks);
        Assert.True(new FileInfo(r.Chunks[0]).Length > 3 * (4 << 20)); // several windows, and one item of 9 MiB
        var i = 0;
        foreach (var ev in r.Events())
        {
            Assert.Equal(1_000UL + (ulong)i * 7, ev.KtimeNs);
            Assert.Equal((uint)(i % 3), ev.Tid);
            Assert.Equal(Bytes(i), ev.Derefs[0].Data);
            i++;
        }
        Assert.Equal(1200, i);
        Assert.Equal("done", r.Trailer?.Reason);
        Assert.Empty(r.Warnings);
    }

    [Fact]
    public void TornTailPastTheFirstWindow_KeepsEveryCompleteRecord()
    {
        var dir = Write(1200);
        var chunk = CaptureReader.Open(dir).Chunks[0];
        using (var f = new FileStream(chunk, FileMode.Open)) f.SetLength(f.Length - 5_000); // cuts the trailer and the last event
        var r = CaptureReader.Open(dir);
        var events = r.Events().ToList();
        Assert.Equal(1199, events.Count);
        Assert.Equal(Bytes(1198), events[^1].Derefs[0].Data);
        Assert.Null(r.Trailer);
        Assert.Contains(r.Warnings, w => w.Contains("cut after 1199 records", StringComparison.Ordinal));
    }
}
