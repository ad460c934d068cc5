using System.Buffers.Binary;
using System.Text;
using Calltape.Analyzer.Commands;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>The convert pipeline's buffers (event batches, double-buffered row groups, reused text blocks) change no
/// value: tiny row groups give the same tables as one, NULL stays NULL, and calls.goid is the function table's goid.</summary>
public class ConvertPipelineTests
{
    private static readonly TypeDesc Int64 = new("int64", TypeKind.Int, 8);
    private static readonly TypeDesc Str = new("string", TypeKind.String, 16);

    private static readonly ProbeSpec Entry = new(0, "main.get", 0, 0x4a1000, 4, 0xa1004, AbiKind.GoRegs,
        new CapturePlan([Reg.Rax, Reg.Rbx, Reg.Rcx, Reg.R14], 0, [new DerefSpec(Source.Of(Reg.Rbx), Source.Of(Reg.Rcx), 64)]),
        [new ParamSpec("id", Int64, [Source.Of(Reg.Rax)]), new ParamSpec("key", Str, [Source.Of(Reg.Rbx), Source.Of(Reg.Rcx)], Deref: 0)]);

    private static readonly ProbeSpec Exit = new(1, "main.get", 0, 0x4a1000, 0x30, 0xa1030, AbiKind.GoRegs,
        new CapturePlan([Reg.Rax, Reg.R14, Reg.Rsp], 0, [new DerefSpec(Source.Of(Reg.R14), Source.None, 8, Offset: 152)]),
        [new ParamSpec("r0", Int64, [Source.Of(Reg.Rax)])]) { Kind = ProbeKind.Exit, EntryProbe = 0, GoidDeref = 0 };

    /// <summary>Calls over goroutines 1 and 3 (i is even, so i % 4 is 0 or 2), nested two deep; every 7th outer call never returns (it is still open when the
    /// capture ends); keys of varying length.</summary>
    private static string Create(int calls)
    {
        var dir = Path.Combine(Repo.NewTempDir("pipe"), "pipe.ctape");
        var header = SyntheticCapture.Header() with { Probes = [Entry, Exit] };
        using var w = CaptureWriter.Create(dir, header, chunkSize: 32 << 10);
        var t = (ulong)SyntheticCapture.MonotonicBase;
        var goid = new byte[8];
        for (var i = 0; i < calls; i += 2)
        {
            var k = (uint)(i % 4);
            var g = 0xc000000000UL + k * 0x1000;
            BinaryPrimitives.WriteUInt64LittleEndian(goid, k + 1);
            var outer = Encoding.UTF8.GetBytes(new string('k', i % 50) + "é" + i);
            var inner = Encoding.UTF8.GetBytes("in" + i);
            w.WriteEvent(0, t, 100, 10 + k, [(ulong)i, 0x7000, (ulong)outer.Length, g], false, [], outer, [new DerefSlice(0, outer.Length, outer.Length, 0)]);
            w.WriteEvent(0, t + 5, 100, 10 + k, [(ulong)i + 1, 0x7000, (ulong)inner.Length, g], false, [], inner, [new DerefSlice(0, inner.Length, inner.Length, 0)]);
            w.WriteEvent(1, t + 9, 100, 10 + k, [(ulong)i * 3, g, 0x7ff0], false, [], goid, [new DerefSlice(0, 8, 8, 0)]);
            if (i % 7 != 0) w.WriteEvent(1, t + 20, 100, 10 + k, [(ulong)i * 5, g, 0x7ff0], false, [], goid, [new DerefSlice(0, 8, 8, 0)]);
            t += 30;
        }
        w.Complete(t, "done");
        return dir;
    }

    [Fact]
    public async Task TinyRowGroups_GiveTheSameTables_AsOne()
    {
        var cap = Create(20_000);
        var one = cap + ".one";
        var tiny = cap + ".tiny";
        await ConvertCommand.ConvertAsync(cap, one, null, TextWriter.Null, rowGroupRows: 1 << 20);
        var result = await ConvertCommand.ConvertAsync(cap, tiny, null, TextWriter.Null, rowGroupRows: 333);
        Assert.Equal(20_000L + 20_000 - 20_000 / 14 - 1, result.Events); // entries + exits (every 7th outer call has none)
        foreach (var file in new[] { "calls.parquet", "fn-main.get.parquet" })
        {
            var a = Cli.Pq(one, file);
            var b = Cli.Pq(tiny, file);
            Assert.Equal(Cli.Sql($"SELECT count(*) FROM {a}")[0][0], Cli.Sql($"SELECT count(*) FROM {b}")[0][0]);
            Assert.Empty(Cli.Sql($"(SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}) UNION ALL (SELECT * FROM {b} EXCEPT ALL SELECT * FROM {a})"));
        }
        Assert.True(Cli.Sql($"SELECT count(*) FROM {Cli.Pq(tiny, "fn-main.get.parquet")}")[0][0] is 20_000L);
        // A call that never returned has NULL duration, results and goid: NULL, not an empty string or zero.
        var open = Cli.Sql($"SELECT count(*), count(ret), count(duration_ns), count(goid) FROM {Cli.Pq(tiny, "calls.parquet")} WHERE args NOT LIKE '%\"key\":\"in%'"
            + " AND ret IS NULL")[0];
        Assert.Equal(new object?[] { (long)(20_000 / 14 + 1), 0L, 0L, 0L }, open);
        // calls.goid is the function table's goid of the same call.
        var mismatched = Cli.Sql($"SELECT count(*) FROM {Cli.Pq(tiny, "calls.parquet")} c JOIN {Cli.Pq(tiny, "fn-main.get.parquet")} f "
            + "USING (ts, pid, tid) WHERE c.goid IS DISTINCT FROM f.goid OR c.args NOT LIKE '{\"id\":' || f.id || ',%'")[0][0];
        Assert.Equal(0L, mismatched);
        Assert.Equal("kké2", Cli.Sql($"SELECT key FROM {Cli.Pq(tiny, "fn-main.get.parquet")} WHERE id = 2")[0][0]);
        Assert.Equal(new object?[] { 2L, 1L, 3L }, Cli.Sql($"SELECT count(DISTINCT goid), min(goid), max(goid) FROM {Cli.Pq(tiny, "calls.parquet")}")[0]);
    }
}
