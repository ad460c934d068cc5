using Calltape.Analyzer.Conversion;
using Calltape.Capture.Model;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

public class FleetPartitionTests
{
    /// <summary>2023-11-15T00:00:00Z in ns; SyntheticCapture's default clock puts its events on 2023-11-14.</summary>
    private const long Midnight = 1_700_006_400_000_000_000;

    private static string Capture(string root, string host, string id, ClockSync? clock = null)
    {
        var h = SyntheticCapture.Header() with { Host = host, CaptureId = id };
        if (clock is { } c) h = h with { Clock = c };
        return SyntheticCapture.Create(Path.Combine(root, id + ".ctape"), h);
    }

    [Fact]
    public void Captures_from_three_hosts_merge_into_one_tree_that_one_query_covers()
    {
        var root = Repo.NewTempDir("fleet");
        var fleet = Path.Combine(root, "fleet");
        foreach (var (host, id) in new[] { ("web-1", "cap-a"), ("web-2", "cap-b"), ("db-1", "cap-c") })
        {
            var r = Cli.Run("convert", Capture(root, host, id), "--partition", "-o", fleet);
            Assert.Equal(0, r.Code);
            Assert.Contains($"to {fleet} in", r.Out);
        }
        // A second capture of web-1: its probe ids are numbered from 0 again, as every capture's are.
        Assert.Equal(0, Cli.Run("convert", Capture(root, "web-1", "cap-d"), "--partition", "-o", fleet).Code);
        // Converting one capture again replaces its files instead of adding duplicates.
        Assert.Equal(0, Cli.Run("convert", Path.Combine(root, "cap-b.ctape"), "--partition", "-o", fleet).Code);

        foreach (var host in new[] { "web-1", "web-2", "db-1" })
        {
            foreach (var table in new[] { "calls", "fn-main.computeE", "fn-main.lookup", "probes", "binaries", "loss" })
            {
                var id = $"cap-{(host == "web-1" ? 'a' : host == "web-2" ? 'b' : 'c')}";
                Assert.True(File.Exists(Path.Combine(fleet, table, $"host={host}", "date=2023-11-14", $"capture={id}", $"part-{id}.parquet")), $"{table} {host}");
            }
        }
        Assert.Empty(Directory.GetDirectories(fleet, ".*"));
        Assert.Equal(4, Directory.GetFiles(Path.Combine(fleet, FleetPartition.ManifestsDir), "*.json").Length);

        var perHost = Cli.Sql($"""
            SELECT host, CAST(date AS VARCHAR), count(*), count(DISTINCT function), count(DISTINCT capture)
            FROM read_parquet('{fleet}/calls/*/*/*/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY host
            """);
        Assert.Equal(new[] { "db-1", "web-1", "web-2" }, perHost.Select(r => (string)r[0]!));
        Assert.Equal(new[] { 15L, 30L, 15L }, perHost.Select(r => (long)r[2]!));
        Assert.Equal(new[] { 1L, 2L, 1L }, perHost.Select(r => (long)r[4]!));
        Assert.All(perHost, r => Assert.Equal(new object?[] { "2023-11-14", 2L }, new[] { r[1], r[3] }));

        // A typed function table across the fleet, and a join of calls with each host's own probes table.
        var sum = Cli.Sql($"SELECT count(*), sum(iterations) FROM read_parquet('{fleet}/fn-main.computeE/**/*.parquet', hive_partitioning = true) WHERE host LIKE 'web-%'")[0];
        Assert.Equal(30L, sum[0]);
        Assert.Equal("69", sum[1]!.ToString()); // 1+2+3+4+1+2+3+4+1+2 per capture, 3 captures
        var joined = Cli.Sql($"""
            SELECT c.host, count(*) FROM read_parquet('{fleet}/calls/*/*/*/*.parquet', hive_partitioning = true) c
            JOIN read_parquet('{fleet}/probes/*/*/*/*.parquet', hive_partitioning = true) p USING (capture, probe_id)
            WHERE p.abi = 'go-regs' GROUP BY 1 ORDER BY 1
            """);
        // Joined on the capture key, each call meets its own probe once (on (host, probe_id) web-1's would meet two).
        Assert.Equal(new[] { 15L, 30L, 15L }, joined.Select(r => (long)r[1]!));
    }

    [Fact]
    public void A_capture_spanning_midnight_is_split_by_the_utc_day_of_its_events()
    {
        var root = Repo.NewTempDir("fleet-midnight");
        var fleet = Path.Combine(root, "fleet");
        // Events are at MonotonicBase + 1100, 1200, … 2500 ns: put midnight at + 1500.
        var cap = Capture(root, "night", "cap-n", new ClockSync(SyntheticCapture.MonotonicBase, Midnight - 1500));
        Assert.Equal(0, Cli.Run("convert", cap, "--partition", "-o", fleet).Code);

        var days = Cli.Sql($"""
            SELECT CAST(date AS VARCHAR), count(*), min(ts), max(ts)
            FROM read_parquet('{fleet}/calls/*/*/*/*.parquet', hive_partitioning = true) GROUP BY 1 ORDER BY 1
            """);
        Assert.Equal(2, days.Count);
        Assert.Equal(new object?[] { "2023-11-14", 4L }, days[0][..2]);
        Assert.Equal(new object?[] { "2023-11-15", 11L }, days[1][..2]);
        Assert.True((long)days[0][3]! < Midnight && (long)days[1][2]! >= Midnight);
        // The split keeps every column's type and the args JSON as convert wrote it.
        var types = Cli.Sql($"SELECT typeof(pid), typeof(probe_id), typeof(args), typeof(duration_ns) FROM read_parquet('{fleet}/calls/host=night/date=2023-11-15/*/*.parquet') LIMIT 1")[0];
        Assert.Equal(new object?[] { "UINTEGER", "INTEGER", "VARCHAR", "BIGINT" }, types);
        // Tables without ts describe the whole capture and live on its first day.
        Assert.True(File.Exists(Path.Combine(fleet, "probes", "host=night", "date=2023-11-14", "capture=cap-n", "part-cap-n.parquet")));
        Assert.False(Directory.Exists(Path.Combine(fleet, "probes", "host=night", "date=2023-11-15")));
    }

    [Fact]
    public void Partition_needs_an_output_tree_and_escapes_odd_host_names()
    {
        var root = Repo.NewTempDir("fleet-args");
        var r = Cli.Run("convert", Capture(root, "h", "cap-x"), "--partition");
        Assert.Equal(2, r.Code);
        Assert.Contains("--partition needs -o", r.Err);
        Assert.Equal("a%2Fb%3Dc", FleetPartition.Escape("a/b=c"));
        Assert.Equal("%2Ehidden", FleetPartition.Escape(".hidden"));
        Assert.Equal("2023-11-14", FleetPartition.Day(SyntheticCapture.RealtimeBase));
    }
}
