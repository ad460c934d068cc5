using System.Buffers.Binary;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Tests.Support;
using MessagePack;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>Exit probes in a hand-made capture: pairing into rows with duration_ns, results and goid, and the counts.</summary>
public class ReturnsConvertTests
{
    private const ulong G1 = 0xc000001000, G2 = 0xc000002000, G3 = 0xc000003000;
    private static readonly TypeDesc Int64 = new("int64", TypeKind.Int, 8);
    private static readonly TypeDesc CInt = new("int", TypeKind.Int, 4);

    private static readonly ProbeSpec FibEntry = new(0, "main.fib", 0, 0x4a1000, 4, 0xa1004, AbiKind.GoRegs,
        new CapturePlan([Reg.Rax, Reg.R14], 0, []), [new ParamSpec("n", Int64, [Source.Of(Reg.Rax)])]);

    private static readonly ProbeSpec FibExit = new(1, "main.fib", 0, 0x4a1000, 0x30, 0xa1030, AbiKind.GoRegs,
        new CapturePlan([Reg.Rax, Reg.R14, Reg.Rsp], 0, [new DerefSpec(Source.Of(Reg.R14), Source.None, 8, Offset: 152)]),
        [new ParamSpec("r0", Int64, [Source.Of(Reg.Rax)])]) { Kind = ProbeKind.Exit, EntryProbe = 0, GoidDeref = 0 };

    private static readonly ProbeSpec FibExit2 = FibExit with { Id = 2, ProbeOffset = 0x50, FileOffset = 0xa1050 };

    private static readonly ProbeSpec AddEntry = new(3, "add3", 0, 0x1290, 0, 0x1290, AbiKind.SysV,
        new CapturePlan([Reg.Rdi], 0, []), [new ParamSpec("n", CInt, [Source.Of(Reg.Rdi)])]);

    private static readonly ProbeSpec AddExit = new(4, "add3", 0, 0x1290, 0, 0x1290, AbiKind.SysV,
        new CapturePlan([Reg.Rax], 0, []), [new ParamSpec("n", CInt, [Source.Of(Reg.Rax)])])
    { Kind = ProbeKind.Exit, EntryProbe = 3, Uretprobe = true };

    private static string Create()
    {
        var dir = Path.Combine(Repo.NewTempDir("ret"), "ret.ctape");
        var header = SyntheticCapture.Header() with { Probes = [FibEntry, FibExit, FibExit2, AddEntry, AddExit] };
        using var w = CaptureWriter.Create(dir, header);
        var t = (ulong)SyntheticCapture.MonotonicBase;
        var goid = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(goid, 5);
        void Exit(int probe, ulong at, uint tid, ulong r0, ulong g) =>
            w.WriteEvent(probe, t + at, 100, tid, [r0, g, 0x7ff0], false, [], goid, [new DerefSlice(0, 8, 8, 0)]);

        w.WriteEvent(0, t + 100, 100, 10, [2, G1], false, [], [], []);  // g1: fib(2)
        w.WriteEvent(0, t + 110, 100, 11, [1, G1], false, [], [], []);  // g1 moved to thread 11: fib(1)
        Exit(2, 130, 11, 1, G1);                                         // fib(1) returns 1 through the second RET
        w.WriteEvent(0, t + 135, 100, 10, [1, G2], false, [], [], []);  // g2 on thread 10: fib(1), never returns
        Exit(1, 150, 12, 1, G1);                                         // fib(2) returns 1, g1 now on thread 12
        Exit(1, 160, 10, 9, G3);                                         // a return whose call began before recording
        w.WriteEvent(3, t + 200, 100, 20, [1], false, [], [], []);
        w.WriteEvent(3, t + 210, 100, 21, [2], false, [], [], []);      // never returns
        w.WriteEvent(4, t + 260, 100, 20, [unchecked((ulong)-5)], false, [], [], []);
        w.Complete(t + 300, "done");
        return dir;
    }

    [Fact]
    public void ExitsCompleteTheirEntriesRows_ByGoroutineForGo_ByThreadForC()
    {
        var cap = Create();
        var outDir = Path.Combine(Path.GetDirectoryName(cap)!, "out");
        var r = Cli.Run("convert", cap, "-o", outDir);
        Assert.Equal(0, r.Code);
        Assert.StartsWith("converted 9 events (2 function tables)", r.Out); // entries and exits
        Assert.EndsWith("; returns: 3 calls paired with their return, 1 returns without an entry, 2 calls never returned\n", r.Out);

        var fib = Cli.Sql($"SELECT tid, n, duration_ns, r0, goid, typeof(duration_ns), typeof(goid) FROM {Cli.Pq(outDir, "fn-main.fib.parquet")} ORDER BY ts");
        Assert.Equal(3, fib.Count);
        Assert.Equal(new object?[] { 10u, 2L, 50L, 1L, 5L, "BIGINT", "BIGINT" }, fib[0]);
        Assert.Equal(new object?[] { 11u, 1L, 20L, 1L, 5L }, fib[1][..5]);
        Assert.Equal(new object?[] { 10u, 1L, null, null, null }, fib[2][..5]);

        // A result named like an argument becomes ret_NAME; C has no goid column.
        var add = Cli.Sql($"SELECT tid, n, duration_ns, ret_n FROM {Cli.Pq(outDir, "fn-add3.parquet")} ORDER BY ts");
        Assert.Equal(new object?[] { 20u, 1L, 60L, -5L }, add[0]);
        Assert.Equal(new object?[] { 21u, 2L, null, null }, add[1]);
        Assert.Empty(Cli.Sql($"SELECT * FROM (DESCRIBE SELECT * FROM {Cli.Pq(outDir, "fn-add3.parquet")}) WHERE column_name = 'goid'"));

        var calls = Cli.Sql($"SELECT function, args, duration_ns, ret FROM {Cli.Pq(outDir, "calls.parquet")} ORDER BY ts");
        Assert.Equal(5, calls.Count);
        Assert.Equal(new object?[] { "main.fib", "{\"n\":2}", 50L, "{\"r0\":1}" }, calls[0]);
        Assert.Equal(new object?[] { "add3", "{\"n\":1}", 60L, "{\"n\":-5}" }, calls[3]);
        Assert.Equal(new object?[] { "add3", "{\"n\":2}", null, null }, calls[4]);

        var probes = Cli.Sql($"SELECT probe_id, kind, \"table\", events FROM {Cli.Pq(outDir, "probes.parquet")} ORDER BY probe_id");
        Assert.Equal(new object?[] { 2, "exit", "main.fib", 1L }, probes[2]);
    }

    [Fact]
    public void Info_ReportsPairingAndGroupsExitsUnderTheirFunction()
    {
        var r = Cli.Run("info", Create());
        Assert.Equal(0, r.Code);
        Assert.Contains("returns     3 calls paired with their return, 1 returns without an entry, 2 calls never returned", r.Out);
        Assert.Contains("returns [1,2] 2 RET(s) at +0x30,+0x50", r.Out);
        Assert.Contains("returns [4] uretprobe", r.Out);
        Assert.Contains("(goid)", r.Out);
    }

    [Fact]
    public void Header_RoundTripsExitFields_AndEntryOnlyProbesKeepTheirOldEncoding()
    {
        var h = SyntheticCapture.Header() with { Probes = [FibEntry, FibExit, AddExit] };
        var back = RoundTrip(h).Probes;
        Assert.Equal((ProbeKind.Entry, -1, false, -1), (back[0].Kind, back[0].EntryProbe, back[0].Uretprobe, back[0].GoidDeref));
        Assert.Equal((ProbeKind.Exit, 0, false, 0), (back[1].Kind, back[1].EntryProbe, back[1].Uretprobe, back[1].GoidDeref));
        Assert.Equal((ProbeKind.Exit, 3, true, -1), (back[2].Kind, back[2].EntryProbe, back[2].Uretprobe, back[2].GoidDeref));
        Assert.Equal(FibExit.Plan.Derefs, back[1].Plan.Derefs);

        // An entry probe writes the 11 keys it always did, so captures without --returns are unchanged on disk.
        var bytes = Encode(SyntheticCapture.Header());
        var again = Encode(SyntheticCapture.Header() with { Probes = SyntheticCapture.Header().Probes.Select(p => p with { Kind = ProbeKind.Entry }).ToArray() });
        Assert.Equal(bytes, again);
        Assert.DoesNotContain("retprobe", System.Text.Encoding.ASCII.GetString(bytes));
    }

    private static byte[] Encode(SessionHeader h)
    {
        var buf = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buf);
        HeaderCodec.Write(ref w, h);
        w.Flush();
        return buf.WrittenSpan.ToArray();
    }

    private static SessionHeader RoundTrip(SessionHeader h)
    {
        var r = new MessagePackReader(Encode(h));
        return HeaderCodec.Read(ref r);
    }
}
