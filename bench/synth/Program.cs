using System.Globalization;
using System.Text;
using Calltape.Capture.Format;
using Calltape.Capture.Model;

// calltape-synth DIR CALLS [--host NAME] [--start-unix-s S] [--returns] | --nested (see NestedCapture.cs)
// Writes a capture of CALLS calls with the real CaptureWriter: half main.computeE(iterations int64), half
// main.lookup(id int64, name string, ok bool), over 8 threads, 50 ns apart. The shape mirrors the unit tests'
// synthetic capture so the bench measures the same code paths they check. --returns adds an exit record per call
// (as calltape-record --returns does for Go: the result in RAX, paired by the g pointer in R14), 2 events a call.
if (args.Length < 2 || !long.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var calls))
{
    Console.Error.WriteLine("usage: calltape-synth DIR CALLS [--host NAME] [--start-unix-s S] [--returns] | --nested");
    return 2;
}
var dir = args[0];
var host = "bench-host";
var startUnixS = 1_764_000_000L;
var returns = false;
if (args.Skip(2).Contains("--nested")) return NestedCapture.Write(dir, calls);
for (var i = 2; i < args.Length; i += 2)
{
    if (args[i] == "--returns")
    {
        returns = true;
        i--;
        continue;
    }
    if (i + 1 >= args.Length) { Console.Error.WriteLine($"calltape-synth: {args[i]} needs a value"); return 2; }
    switch (args[i])
    {
        case "--host": host = args[i + 1]; break;
        case "--start-unix-s": startUnixS = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"calltape-synth: unknown option {args[i]}"); return 2;
    }
}

var int64 = new TypeDesc("int64", TypeKind.Int, 8);
var str = new TypeDesc("string", TypeKind.String, 16);
var boolean = new TypeDesc("bool", TypeKind.Bool, 1);
// With returns, entry plans keep R14 (the g pointer) as the recorder's do, so calls pair per goroutine.
Reg[] Keep(params Reg[] regs) => returns ? [.. regs, Reg.R14] : regs;
ProbeSpec Exit(int id, int entry, string fn, ulong addr) => new(id, fn, 0, addr, 0x30, addr - 0x400000 + 0x30, AbiKind.GoRegs,
    new CapturePlan([Reg.Rax, Reg.R14], 0, []), [new ParamSpec("r0", int64, [Source.Of(Reg.Rax)])]) { Kind = ProbeKind.Exit, EntryProbe = entry };
var probes = new List<ProbeSpec>
{
    new(1, "main.computeE", 0, 0x4a1000, 4, 0xa1004, AbiKind.GoRegs, new CapturePlan(Keep(Reg.Rax), 0, []),
        [new ParamSpec("iterations", int64, [Source.Of(Reg.Rax)])]),
    new(2, "main.lookup", 0, 0x4a2000, 4, 0xa2004, AbiKind.GoRegs,
        new CapturePlan(Keep(Reg.Rax, Reg.Rbx, Reg.Rcx, Reg.Rdi), 0, [new DerefSpec(Source.Of(Reg.Rbx), Source.Of(Reg.Rcx), 64)]),
        [
            new ParamSpec("id", int64, [Source.Of(Reg.Rax)]),
            new ParamSpec("name", str, [Source.Of(Reg.Rbx), Source.Of(Reg.Rcx)], Deref: 0),
            new ParamSpec("ok", boolean, [Source.Of(Reg.Rdi)]),
        ]),
};
if (returns) probes.AddRange([Exit(3, 1, "main.computeE", 0x4a1000), Exit(4, 2, "main.lookup", 0x4a2000)]);
const long mono = 5_000_000_000;
var header = new SessionHeader(CaptureFormat.Version, Guid.NewGuid().ToString("N"), host, "6.18.0-bench",
    new ClockSync(mono, startUnixS * 1_000_000_000L), ["calltape-record", "-p", "main.computeE", "-p", "main.lookup", "./calc"], "./calc",
    [new BinaryInfo("/bench/calc", "0123456789abcdef", "go-build-id/x", 123456, 0)], probes);

var names = new[] { "alpha", "bravo", "charlie", "delta-delta", "echo", "foxtrot", "golf", "hotel" }.Select(Encoding.UTF8.GetBytes).ToArray();
using var w = CaptureWriter.Create(dir, header);
var t = (ulong)mono;
Span<ulong> regs = stackalloc ulong[5];
Span<ulong> ret = stackalloc ulong[2];
var rng = new Random(42);
for (long i = 0; i < calls; i++)
{
    t += 50;
    var tid = 100 + (uint)(i % 8);
    var g = 0xc000_0000_00UL + tid * 0x1000UL;
    int entry;
    if ((i & 1) == 0)
    {
        entry = 1;
        regs[0] = (ulong)rng.Next(1, 100_000);
        regs[1] = g;
        w.WriteEvent(1, t, 100, tid, regs[..(returns ? 2 : 1)], false, [], [], []);
    }
    else
    {
        entry = 2;
        var name = names[rng.Next(names.Length)];
        regs[0] = (ulong)i; regs[1] = 0x7000_0000; regs[2] = (ulong)name.Length; regs[3] = (ulong)(i & 2) >> 1; regs[4] = g;
        w.WriteEvent(2, t, 100, tid, regs[..(returns ? 5 : 4)], false, [], name, [new DerefSlice(0, name.Length, name.Length, 0)]);
    }
    if (!returns) continue;
    // Durations spread over two orders of magnitude, so p50 and p99 differ.
    ret[0] = (ulong)rng.Next(0, 1000);
    ret[1] = g;
    w.WriteEvent(entry + 2, t + 20 + (ulong)(rng.Next(1, 100) * rng.Next(1, 100)), 100, tid, ret, false, [], [], []);
}
w.WriteLoss(t, [new LossCounter(1, 0, (ulong)((calls + 1) / 2), 0), new LossCounter(2, 0, (ulong)(calls / 2), 0)]);
w.Complete(t + 1, "done");
Console.WriteLine($"wrote {calls} calls to {dir} ({w.BytesWritten} bytes, {w.ChunkCount} chunks)");
return 0;
