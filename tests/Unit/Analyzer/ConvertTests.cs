using Calltape.Analyzer.Commands;
using Calltape.Capture.Decoding;
using Calltape.Capture.Format;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

public class ConvertTests
{
    [Fact]
    public void Convert_writes_all_tables_beside_the_capture_with_a_summary_line()
    {
        var cap = SyntheticCapture.Create();
        var r = Cli.Run("convert", cap);
        Assert.Equal(0, r.Code);
        Assert.StartsWith("warning: binary /nonexistent/calc not found", Assert.Single(r.ErrLines)); // no binary on disk here
        var outDir = cap + ".parquet";
        Assert.Matches(@"^converted 15 events \(2 function tables\) to .*incident\.ctape\.parquet in [0-9.]+ s \([0-9.]+ [kM] events/s\)\n$", r.Out);
        foreach (var f in new[] { "calls.parquet", "probes.parquet", "binaries.parquet", "loss.parquet", "fn-main.computeE.parquet", "fn-main.lookup.parquet", "calltape.json" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(outDir)!, "*.tmp-*"));
    }

    [Fact]
    public void Typed_tables_hold_exact_values_and_nulls_for_what_was_not_captured()
    {
        var cap = SyntheticCapture.Create();
        var outDir = Path.Combine(Path.GetDirectoryName(cap)!, "out");
        Assert.Equal(0, Cli.Run("convert", cap, "-o", outDir).Code);

        var types = Cli.Sql($"SELECT typeof(ts), typeof(pid), typeof(id), typeof(name), typeof(ok) FROM {Cli.Pq(outDir, "fn-main.lookup.parquet")} LIMIT 1")[0];
        Assert.Equal(new object?[] { "BIGINT", "UINTEGER", "BIGINT", "VARCHAR", "BOOLEAN" }, types);

        var rows = Cli.Sql($"SELECT ts, pid, tid, id, name, ok FROM {Cli.Pq(outDir, "fn-main.lookup.parquet")} ORDER BY ts");
        Assert.Equal(5, rows.Count);
        Assert.Equal(new object?[] { 7L, "alice", true }, rows[0][3..]);
        Assert.Equal(new object?[] { -3L, "", false }, rows[1][3..]);
        Assert.Equal(new object?[] { 9L, null, true }, rows[2][3..]); // truncated at 64 of 100 bytes
        Assert.Equal(new object?[] { 10L, "héllo \"q\"", false }, rows[3][3..]);
        Assert.Equal(new object?[] { 11L, null, true }, rows[4][3..]); // unreadable memory
        Assert.Equal((uint)42, rows[0][1]);
        Assert.Equal((uint)43, rows[0][2]);

        var e = Cli.Sql($"SELECT iterations, typeof(iterations) FROM {Cli.Pq(outDir, "fn-main.computeE.parquet")} ORDER BY ts");
        Assert.Equal(new long[] { 1, 2, 3, 4, 1, 2, 3, 4, 1, 2 }, e.Select(x => (long)x[0]!));
        Assert.Equal("BIGINT", e[0][1]);
    }

    [Fact]
    public void Calls_table_matches_the_reader_event_for_event_including_args_json()
    {
        var cap = SyntheticCapture.Create();
        var outDir = Path.Combine(Path.GetDirectoryName(cap)!, "out");
        Assert.Equal(0, Cli.Run("convert", cap, "-o", outDir).Code);
        var rows = Cli.Sql($"SELECT ts, ktime, pid, tid, probe_id, function, build_id, args FROM {Cli.Pq(outDir, "calls.parquet")}");

        var reader = CaptureReader.Open(cap);
        var events = reader.Events().ToList();
        Assert.Equal(events.Count, rows.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var ev = events[i];
            var probe = reader.Header.Probes.Single(p => p.Id == ev.Probe);
            Assert.Equal(SyntheticCapture.Wall(ev.KtimeNs), rows[i][0]);
            Assert.Equal((long)ev.KtimeNs, rows[i][1]);
            Assert.Equal(ev.Pid, rows[i][2]);
            Assert.Equal(ev.Tid, rows[i][3]);
            Assert.Equal(ev.Probe, rows[i][4]);
            Assert.Equal(probe.Function, rows[i][5]);
            Assert.Equal("0123456789abcdef", rows[i][6]);
            Assert.Equal(ValueDecoder.ToJson(probe, ValueDecoder.Decode(probe, ev)), rows[i][7]);
        }
        var truncated = (string)rows.Single(r => ((string)r[7]!).Contains("\"id\":9,"))[7]!;
        Assert.Contains("\"name\":{\"not_captured\":\"truncated at 64 of 100 bytes\",\"partial\":\"" + new string('x', 64) + "\"}", truncated);
    }

    [Fact]
    public void Probes_binaries_and_loss_tables_describe_the_session()
    {
        var cap = SyntheticCapture.Create();
        var outDir = Path.Combine(Path.GetDirectoryName(cap)!, "out");
        Assert.Equal(0, Cli.Run("convert", cap, "-o", outDir).Code);

        var loss = Cli.Sql($"SELECT probe_id, function, cpu, hits, drops FROM {Cli.Pq(outDir, "loss.parquet")} ORDER BY probe_id, cpu");
        Assert.Equal(3, loss.Count);
        Assert.Equal(new object?[] { 1, "main.computeE", 1, 4UL, 2UL }, loss[1]);
        Assert.Equal(new object?[] { 2, "main.lookup", 0, 5UL, 0UL }, loss[2]);

        var probes = Cli.Sql($"SELECT probe_id, function, \"table\", table_file, abi, params, events FROM {Cli.Pq(outDir, "probes.parquet")} ORDER BY probe_id");
        Assert.Equal(new object?[] { 1, "main.computeE", "main.computeE", "fn-main.computeE.parquet", "go-regs", "iterations int64 @rax", 10L }, probes[0]);
        Assert.Equal("id int64 @rax; name string @rbx,rcx deref#0; ok bool @rdi", probes[1][5]);

        var bins = Cli.Sql($"SELECT path, gnu_build_id, go_build_id, size FROM {Cli.Pq(outDir, "binaries.parquet")}");
        Assert.Equal(new object?[] { "/nonexistent/calc", "0123456789abcdef", "go-build-id/x", 123456L }, bins.Single());
    }

    [Fact]
    public async Task Many_row_groups_give_the_same_rows_as_one()
    {
        var dir = Path.Combine(Calltape.Tests.Support.Repo.NewTempDir("rg"), "big.ctape");
        SyntheticCapture.CreateLarge(dir, 10_001, chunkSize: 64 << 10);
        var outDir = dir + ".parquet";
        var result = await ConvertCommand.ConvertAsync(dir, outDir, null, TextWriter.Null, rowGroupRows: 777);
        Assert.Equal(10_001, result.Events);
        var agg = Cli.Sql($"SELECT count(*), sum(iterations) FROM {Cli.Pq(outDir, "fn-main.computeE.parquet")}")[0];
        Assert.Equal(5001L, agg[0]);
        Assert.Equal(Enumerable.Range(0, 5001).Sum(i => (long)(2 * i % 1000)).ToString(), agg[1]!.ToString());
        var names = Cli.Sql($"SELECT name, count(*) FROM {Cli.Pq(outDir, "fn-main.lookup.parquet")} GROUP BY 1 ORDER BY 1");
        Assert.Equal(new[] { "alpha", "bravo", "charlie", "delta-delta", "echo" }, names.Select(n => (string)n[0]!));
        Assert.Equal(10_001L, Cli.Sql($"SELECT count(*) FROM {Cli.Pq(outDir, "calls.parquet")}")[0][0]);
    }

    [Fact]
    public void Converting_into_a_foreign_non_empty_directory_is_refused()
    {
        var cap = SyntheticCapture.Create();
        var outDir = Path.Combine(Path.GetDirectoryName(cap)!, "precious");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "notes.txt"), "mine");
        var r = Cli.Run("convert", cap, "-o", outDir);
        Assert.Equal(2, r.Code);
        Assert.StartsWith("calltape: error: ", r.ErrLines[^1]);
        Assert.True(File.Exists(Path.Combine(outDir, "notes.txt")));
        // Converting again over our own output is fine.
        Assert.Equal(0, Cli.Run("convert", cap).Code);
        Assert.Equal(0, Cli.Run("convert", cap).Code);
    }
}
