using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Format;

/// <summary>Every element shape CaptureWriter emits reads back exactly through the reader's fast event path.</summary>
public class FastEventParserTests
{
    [Fact]
    public void Registers_stack_windows_and_every_dereference_shape_read_back_exactly()
    {
        var dir = Path.Combine(Repo.NewTempDir("fastparse"), "c.ctape");
        var plan = new CapturePlan([Reg.Rax, Reg.Rbx], 16,
            [new DerefSpec(Source.Of(Reg.Rax), Source.None, 300), new DerefSpec(Source.Of(Reg.Rbx), Source.None, 70000)]);
        var probe = new ProbeSpec(200, "f", 0, 0, 0, 0, AbiKind.SysV, plan, []);
        var header = new SessionHeader(CaptureFormat.Version, "id", "h", "k", new ClockSync(0, 0), [], "t",
            [new BinaryInfo("/b", null, null, 0, 0)], [probe]);
        var big = new byte[70000];
        new Random(3).NextBytes(big);
        var regs = new ulong[][] { [0, 127], [128, 65535], [65536, uint.MaxValue + 1UL], [long.MaxValue, ulong.MaxValue] };
        using (var w = CaptureWriter.Create(dir, header))
        {
            for (var i = 0; i < regs.Length; i++)
            {
                var stack = i % 2 == 0 ? big.AsSpan(0, 16) : [];
                // deref 0: complete (short), capped (want > length), or an errno; deref 1: a 64 KiB+ blob (bin32).
                DerefSlice d0 = (i % 3) switch { 0 => new(0, 5, 5, 0), 1 => new(0, 300, 1000, 0), _ => new(0, 0, 0, -14) };
                w.WriteEvent(200, 1_000_000_000UL * (ulong)(i + 1), 7, 8 + (uint)i, regs[i], true, stack, big, [d0, new DerefSlice(0, 70000, 70000, 0)]);
            }
            w.Complete(10_000_000_000, "done");
        }
        var events = CaptureReader.Open(dir).Events().ToList();
        Assert.Equal(regs.Length, events.Count);
        for (var i = 0; i < regs.Length; i++)
        {
            var e = events[i];
            Assert.Equal((200, 1_000_000_000UL * (ulong)(i + 1), 7U, 8U + (uint)i), (e.Probe, e.KtimeNs, e.Pid, e.Tid));
            Assert.Equal(regs[i], e.Registers);
            if (i % 2 == 0) Assert.Equal(big[..16], e.Stack);
            else Assert.Null(e.Stack);
            var d0 = e.Derefs[0];
            switch (i % 3)
            {
                case 0: Assert.Equal(big[..5], d0.Data); Assert.Equal((5L, 0), (d0.Want, d0.Error)); break;
                case 1: Assert.Equal(big[..300], d0.Data); Assert.Equal((1000L, 0), (d0.Want, d0.Error)); break;
                default: Assert.Equal(-14, d0.Error); Assert.Empty(d0.Data); break;
            }
            Assert.Equal(big, e.Derefs[1].Data);
        }
    }
}
