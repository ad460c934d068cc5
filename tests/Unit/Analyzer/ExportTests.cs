using System.Buffers.Binary;
using System.Text.Json;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>calltape export on a hand-made capture whose nesting, goroutines and durations are known exactly.</summary>
public class ExportTests
{
    private const ulong G1 = 0xc000001000, G2 = 0xc000002000;
    private const uint GoroutineBase = 1u << 30;
    private static readonly TypeDesc Int64 = new("int64", TypeKind.Int, 8);
    private static readonly TypeDesc CInt = new("int", TypeKind.Int, 4);

    private static readonly ProbeSpec FibEntry = new(0, "main.fib", 0, 0x4a1000, 4, 0xa1004, AbiKind.GoRegs,
        new CapturePlan([Reg.Rax, Reg.R14], 0, []), [new ParamSpec("n", Int64, [Source.Of(Reg.Rax)])]);

    private static readonly ProbeSpec FibExit = new(1, "main.fib", 0, 0x4a1000, 0x30, 0xa1030, AbiKind.GoRegs,
        new CapturePlan([Reg.Rax, Reg.R14, Reg.Rsp], 0, [new DerefSpec(Source.Of(Reg.R14), Source.None, 8, Offset: 152)]),
        [new ParamSpec("r0", Int64, [Source.Of(Reg.Rax)])]) { Kind = ProbeKind.Exit, EntryProbe = 0, GoidDeref = 0 };

    private static readonly ProbeSpec AddEntry = new(3, "add3", 0, 0x1290, 0, 0x1290, AbiKind.SysV,
        new CapturePlan([Reg.Rdi], 0, []), [new ParamSpec("n", CInt, [Source.Of(Reg.Rdi)])]);

    private static readonly ProbeSpec AddExit = new(4, "add3", 0, 0x1290, 0, 0x1290, AbiKind.SysV,
        new CapturePlan([Reg.Rax], 0, []), [new ParamSpec("r0", CInt, [Source.Of(Reg.Rax)])])
    { Kind = ProbeKind.Exit, EntryProbe = 3, Uretprobe = true };

    /// <summary>Goroutine 5: fib(2) [100,200] calls fib(1) [110,130] and fib(0) [140,150]; goroutine 7: fib(1)
    /// [120,125]; thread 20: add3(1) [300,360]; thread 21: add3(2) at 310, never returns. Times are ns after the base.</summary>
    private static string Create()
    {
        var dir = Path.Combine(Repo.NewTempDir("export"), "exp.ctape");
        var header = SyntheticCapture.Header() with { Probes = [FibEntry, FibExit, AddEntry, AddExit] };
        using var w = CaptureWriter.Create(dir, header);
        var t = (ulong)SyntheticCapture.MonotonicBase;
        void Exit(ulong at, uint tid, ulong r0, ulong g, ulong goid)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, goid);
            w.WriteEvent(1, t + at, 100, tid, [r0, g, 0x7ff0], false, [], bytes, [new DerefSlice(0, 8, 8, 0)]);
        }
        w.WriteEvent(0, t + 100, 100, 10, [2, G1], false, [], [], []);
        w.WriteEvent(0, t + 110, 100, 10, [1, G1], false, [], [], []);
        w.WriteEvent(0, t + 120, 100, 11, [1, G2], false, [], [], []);
        Exit(125, 11, 1, G2, 7);
        Exit(130, 12, 1, G1, 5); // g1 moved to thread 12: pairing (and the track) follow the goroutine
        w.WriteEvent(0, t + 140, 100, 12, [0, G1], false, [], [], []);
        Exit(150, 12, 0, G1, 5);
        Exit(200, 10, 1, G1, 5);
        w.WriteEvent(3, t + 300, 100, 20, [1], false, [], [], []);
        w.WriteEvent(3, t + 310, 100, 21, [2], false, [], [], []);
        w.WriteEvent(4, t + 360, 100, 20, [unchecked((ulong)-5)], false, [], [], []);
        w.Complete(t + 400, "done");
        return dir;
    }

    [Fact]
    public void Perfetto_IsAValidTrace_WithASlicePerCall_OnGoroutineAndThreadTracks()
    {
        var cap = Create();
        var json = Path.Combine(Path.GetDirectoryName(cap)!, "trace.json");
        var r = Cli.Run("export", cap, "--perfetto", json);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("5 slices, 1 instant calls", r.Out);

        var events = TraceEventFormat.Validate(json);
        var slices = events.Where(e => e.Ph == "X").ToList();
        Assert.Equal(5, slices.Count);
        var base_ = SyntheticCapture.MonotonicBase / 1000m;
        var outer = Assert.Single(slices, e => e.Ts == base_ + 0.1m);
        Assert.Equal(("main.fib", 0.1m, 100L, (long)GoroutineBase + 5), (outer.Name, outer.Dur!.Value, outer.Pid, outer.Tid));
        Assert.Equal("{\"n\":2}", outer.Args!.Value.GetProperty("args").GetRawText());
        Assert.Equal("{\"r0\":1}", outer.Args!.Value.GetProperty("ret").GetRawText());
        // All three calls of goroutine 5 share its track, though they ran on threads 10 and 12.
        Assert.Equal(3, slices.Count(e => e.Tid == GoroutineBase + 5));
        Assert.Single(slices, e => e.Tid == GoroutineBase + 7);
        Assert.Equal(0.06m, Assert.Single(slices, e => e.Tid == 20).Dur);
        var instant = Assert.Single(events, e => e.Ph == "i");
        Assert.Equal(("add3", 21L), (instant.Name, instant.Tid));

        var names = events.Where(e => e is { Ph: "M", Name: "thread_name" }).ToDictionary(e => e.Tid, e => e.Args!.Value.GetProperty("name").GetString());
        Assert.Equal("goroutine 5", names[GoroutineBase + 5]);
        Assert.Equal("thread 21", names[21]);
        Assert.Contains(events, e => e is { Ph: "M", Name: "process_name", Pid: 100 });
    }

    [Fact]
    public void Folded_WeighsStacksBySelfTime_NestedPerGoroutine()
    {
        var cap = Create();
        var folded = Path.Combine(Path.GetDirectoryName(cap)!, "out.folded");
        var r = Cli.Run("export", cap, "--folded", folded);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("1 calls without a return left out", r.Out);
        // fib(2): 100 ns minus its children's 20 + 10; goroutine 7's fib(1) adds 5 at the root.
        Assert.Equal(["add3 60", "main.fib 75", "main.fib;main.fib 30"], File.ReadAllLines(folded));
    }

    [Fact]
    public void WithoutDurations_FoldedCountsCalls_AndPerfettoHasInstants()
    {
        var cap = SyntheticCapture.Create();
        var folded = Path.Combine(Path.GetDirectoryName(cap)!, "out.folded");
        var json = Path.Combine(Path.GetDirectoryName(cap)!, "trace.json");
        var r = Cli.Run("export", cap, "--folded", folded, "--perfetto", json);
        Assert.True(r.Code == 0, r.Err);
        // Strings with quotes, non-ASCII and truncation markers stay valid JSON in the slice args.
        var events = TraceEventFormat.Validate(json);
        Assert.Equal(15, events.Count(e => e.Ph == "i"));
        Assert.DoesNotContain(events, e => e.Ph == "X");
        Assert.Contains("weighted by calls", r.Out);
        var total = File.ReadAllLines(folded).Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..]));
        var calls = (long)Cli.Sql($"SELECT count(*) FROM {Cli.Pq(cap + ".parquet", "calls.parquet")}")[0][0]!;
        Assert.Equal(calls, total);
    }

    [Fact]
    public void CsvAndJsonLines_HoldEveryCall_WithGoidDurationAndValues()
    {
        var cap = Create();
        var dir = Path.GetDirectoryName(cap)!;
        var csv = Path.Combine(dir, "calls.csv");
        var jsonl = Path.Combine(dir, "calls.jsonl");
        var r = Cli.Run("export", cap, "--csv", csv, "--jsonl", jsonl);
        Assert.True(r.Code == 0, r.Err);

        var rows = Cli.Sql($"SELECT function, goid, duration_ns, args FROM read_csv('{csv}', header = true) ORDER BY ktime");
        Assert.Equal(6, rows.Count);
        Assert.Equal(new object?[] { "main.fib", 5L, 100L, "{\"n\":2}" }, rows[0]);

        var lines = File.ReadAllLines(jsonl);
        Assert.Equal(6, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal(2, first.RootElement.GetProperty("args").GetProperty("n").GetInt64());
        Assert.Equal(5, first.RootElement.GetProperty("goid").GetInt64());
        using var last = JsonDocument.Parse(lines[^1]);
        Assert.Equal(JsonValueKind.Null, last.RootElement.GetProperty("ret").ValueKind);
    }

    [Fact]
    public void NothingToExport_IsOneLineUsageError()
    {
        var r = Cli.Run("export", Create());
        Assert.Equal(2, r.Code);
        Assert.Single(r.ErrLines);
        Assert.Contains("nothing to export", r.Err);
    }
}
