using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>Issue 2's scenario: record the e-server while a client sends random iters; SQL returns exactly what was sent.</summary>
public class ComputeEScenarioTests
{
    [Fact]
    public void QueryReturnsExactlyTheItersTheClientSent()
    {
        using var server = new EServer();
        var dir = Path.Combine(Repo.NewTempDir("compute-e"), "incident.ctape");
        var sent = new Dictionary<long, int>();
        using (var rec = new BackgroundRecorder(["-o", dir, "-p", "main.computeE", "--exe", EServer.Binary, "-q"]))
        {
            rec.WaitAttached();
            var rng = new Random();
            for (var i = 0; i < 300; i++)
            {
                var n = (long)rng.Next(1, 60);
                server.ComputeE(n);
                sent[n] = sent.GetValueOrDefault(n) + 1;
            }
            Assert.Equal(0, rec.Stop());
            Assert.Contains("stopped (interrupted (SIGINT))", rec.Stderr);
        }

        var rows = E2E.QueryCsv(dir, "SELECT iterations, count(*) FROM \"main.computeE\" GROUP BY 1 ORDER BY 1");
        var got = rows.ToDictionary(r => long.Parse(r[0]), r => int.Parse(r[1]));
        Assert.Equal(sent.OrderBy(kv => kv.Key), got.OrderBy(kv => kv.Key));

        var info = Tools.Run(Tools.Analyzer, ["info", dir]);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("main.computeE", info.Stdout);
    }

    [Fact]
    public void ExeModeCoversProcessesStartedAfterAttach()
    {
        var dir = Path.Combine(Repo.NewTempDir("compute-e-late"), "late.ctape");
        using var rec = new BackgroundRecorder(["-o", dir, "-p", "main.computeE", "--exe", EServer.Binary, "-q"]);
        rec.WaitAttached();
        using (var server = new EServer())
        {
            for (var i = 1; i <= 25; i++) server.ComputeE(i);
        }
        Assert.Equal(0, rec.Stop());
        var rows = E2E.QueryCsv(dir, "SELECT count(*), sum(iterations) FROM \"main.computeE\"");
        Assert.Equal(["25", "325"], rows[0]);
    }
}
