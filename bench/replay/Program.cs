using System.Buffers.Binary;
using System.Globalization;
using Calltape.Capture.Format;
using Calltape.Capture.Model;

// calltape-replay-synth DIR CALLS
// Writes a capture of CALLS calls with entry and exit records (calltape-record --returns shape) through the real
// CaptureWriter: main.outer(n int64) calling main.inner(x int64) four times, on 8 goroutines that interleave in time,
// with a loss snapshot every million records (a few drops each), so replay and report see nesting, goroutines and gaps.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: calltape-replay-synth DIR CALLS");
    return 2;
}
var dir = args[0];
var calls = long.Parse(args[1], CultureInfo.InvariantCulture);
var int64 = new TypeDesc("int64", TypeKind.Int, 8);
ProbeSpec Entry(int id, string fn, string arg) => new(id, fn, 0, 0x4a1000 + (ulong)id * 0x100, 4, 0xa1004, AbiKind.GoRegs,
    new CapturePlan([Reg.Rax, Reg.R14], 0, []), [new ParamSpec(arg, int64, [Source.Of(Reg.Rax)])]);
ProbeSpec Exit(int id, int entry, string fn) => new(id, fn, 0, 0x4a1000, 0x30, 0xa1030, AbiKind.GoRegs,
    new CapturePlan([Reg.Rax, Reg.R14, Reg.Rsp], 0, [new DerefSpec(Source.Of(Reg.R14), Source.None, 8, Offset: 152)]),
    [new ParamSpec("r0", int64, [Source.Of(Reg.Rax)])]) { Kind = ProbeKind.Exit, EntryProbe = entry, GoidDeref = 0 };
const long mono = 5_000_000_000;
var header = new SessionHeader(CaptureFormat.Version, Guid.NewGuid().ToString("N"), "bench-host", "6.18.0-bench",
    new ClockSync(mono, 1_764_000_000L * 1_000_000_000L), ["calltape-record", "--returns", "-p", "main.*", "./calc"], "./calc",
    [new BinaryInfo("/bench/calc", "0123456789abcdef", "go-build-id/x", 123456, 0)],
    [Entry(0, "main.outer", "n"), Exit(1, 0, "main.outer"), Entry(2, "main.inner", "x"), Exit(3, 2, "main.inner")]);

using var w = CaptureWriter.Create(dir, header);
var goid = new byte[8];
var t = (ulong)mono + 1000;
long written = 0, records = 0;
var drops = 0UL;
var entry = new ulong[2];
var exit = new ulong[3];
void Record(int probe, uint g, ulong value, bool isExit)
{
    t += 40;
    var gptr = 0xc000000000UL + g * 0x1000;
    if (isExit)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(goid, g + 1);
        exit[0] = value; exit[1] = gptr; exit[2] = 0x7ff0;
        w.WriteEvent(probe, t, 100, 100 + g, exit, false, [], goid, [new DerefSlice(0, 8, 8, 0)]);
    }
    else
    {
        entry[0] = value; entry[1] = gptr;
        w.WriteEvent(probe, t, 100, 100 + g, entry, false, [], [], []);
    }
    if (++records % 1_000_000 == 0)
    {
        drops += 3;
        w.WriteLoss(t, [new LossCounter(2, 0, (ulong)records / 2, drops)]);
    }
}
// Goroutines take turns call by call, so their records interleave as they do on a real multi-core run.
var group = 0L;
while (written < calls)
{
    var g = (uint)(group % 8);
    Record(0, g, (ulong)group, false);
    for (var i = 0; i < 4 && written + 1 < calls; i++, written++)
    {
        Record(2, g, (ulong)i, false);
        Record(3, g, (ulong)(i * 2), true);
    }
    Record(1, g, (ulong)group, true);
    written++;
    group++;
}
w.Complete(t + 1, "done");
Console.Error.WriteLine($"{written} calls, {records} records, {w.ChunkCount} chunks, {w.BytesWritten / (1 << 20)} MiB");
return 0;
