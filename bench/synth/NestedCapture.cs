using System.Buffers.Binary;
using Calltape.Capture.Format;
using Calltape.Capture.Model;

/// <summary>calltape-synth --nested: a capture as recorded with --returns, with nesting and goroutines.</summary>
/// <remarks>Requests of main.handle(req int64) -> int64, each making two nested main.lookup(id int64) -> int64
/// calls, over 8 goroutines (goid 1..8, one thread each). Every call has an entry and an exit record (the exit
/// carries the goid dereference), so export and replay see durations, nesting and goroutines.</remarks>
internal static class NestedCapture
{
    public static int Write(string dir, long calls)
    {
        var int64 = new TypeDesc("int64", TypeKind.Int, 8);
        ProbeSpec Entry(int id, string fn, string arg, ulong addr) => new(id, fn, 0, addr, 4, addr - 0x400000, AbiKind.GoRegs,
            new CapturePlan([Reg.Rax, Reg.R14], 0, []), [new ParamSpec(arg, int64, [Source.Of(Reg.Rax)])]);
        ProbeSpec Exit(int id, int entry, string fn, ulong addr) => new(id, fn, 0, addr, 0x30, addr - 0x400000 + 0x30, AbiKind.GoRegs,
            new CapturePlan([Reg.Rax, Reg.R14, Reg.Rsp], 0, [new DerefSpec(Source.Of(Reg.R14), Source.None, 8, Offset: 152)]),
            [new ParamSpec("r0", int64, [Source.Of(Reg.Rax)])]) { Kind = ProbeKind.Exit, EntryProbe = entry, GoidDeref = 0 };
        var probes = new[]
        {
            Entry(0, "main.handle", "req", 0x4a1000), Exit(1, 0, "main.handle", 0x4a1000),
            Entry(2, "main.lookup", "id", 0x4a2000), Exit(3, 2, "main.lookup", 0x4a2000),
        };
        const long mono = 5_000_000_000;
        var header = new SessionHeader(CaptureFormat.Version, Guid.NewGuid().ToString("N"), "bench-host", "6.18.0-bench",
            new ClockSync(mono, 1_764_000_000L * 1_000_000_000L), ["calltape-record", "--returns", "-p", "main.handle", "-p", "main.lookup", "./svc"],
            "launch:./svc", [new BinaryInfo("/bench/svc", "0123456789abcdef", "go-build-id/y", 123456, 0)], probes);

        using var w = CaptureWriter.Create(dir, header);
        var t = (ulong)mono;
        var regs = new ulong[3]; // an array, not stackalloc: the local functions below capture it
        var goid = new byte[8];
        DerefSlice[] slice = [new DerefSlice(0, 8, 8, 0)];
        var requests = calls / 3;
        for (long i = 0; i < requests; i++)
        {
            var k = (uint)(i % 8);
            var tid = 100 + k;
            var g = 0xc000000000UL + k * 0x1000;
            BinaryPrimitives.WriteUInt64LittleEndian(goid, k + 1);
            void Enter(int probe, ulong at, ulong arg)
            {
                regs[0] = arg; regs[1] = g;
                w.WriteEvent(probe, at, 100, tid, regs.AsSpan(0, 2), false, [], [], []);
            }
            void Leave(int probe, ulong at, ulong r0)
            {
                regs[0] = r0; regs[1] = g; regs[2] = 0x7ff0;
                w.WriteEvent(probe, at, 100, tid, regs, false, [], goid, slice);
            }
            Enter(0, t, (ulong)i);
            Enter(2, t + 10, (ulong)i * 2);
            Leave(3, t + 30 + (ulong)(i % 13), (ulong)i);
            Enter(2, t + 50, (ulong)i * 2 + 1);
            Leave(3, t + 70 + (ulong)(i % 7), (ulong)i + 1);
            Leave(1, t + 100 + (ulong)(i % 29), (ulong)i % 2);
            t += 140;
        }
        w.Complete(t + 1, "done");
        Console.WriteLine($"wrote {requests * 3} calls ({requests * 6} events) to {dir} ({w.BytesWritten} bytes, {w.ChunkCount} chunks)");
        return 0;
    }
}
