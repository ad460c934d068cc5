using System.Diagnostics;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.EndToEnd;

/// <summary>The recorder stops by itself on --duration and --max-events, and always ends the capture cleanly.</summary>
public class StopConditionTests
{
    [Fact]
    public void DurationEndsTheRecording()
    {
        var dir = Path.Combine(Repo.NewTempDir("duration"), "cap.ctape");
        var sw = Stopwatch.StartNew();
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-p", "main.record", "-q", "--exe", Fixtures.BuildGo("args"), "--duration", "1.5s"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.InRange(sw.Elapsed.TotalSeconds, 1.4, 30);
        Assert.Contains("stopped (duration 1.5 s reached)", r.Stderr);
        var info = Tools.Run(Tools.Analyzer, ["info", dir]);
        Assert.Contains("cleanly", info.Stdout);
    }

    [Fact]
    public void SigintStopsARecorderStartedAsABackgroundJob()
    {
        // A non-interactive shell starts background jobs with SIGINT ignored; scripts still stop recorders with kill -INT.
        var dir = Path.Combine(Repo.NewTempDir("bgint"), "cap.ctape");
        var err = dir + ".err";
        var script = $"{Tools.Recorder} -q -o {dir} -p main.record --exe {Fixtures.BuildGo("args")} 2>{err} & p=$!; " +
            $"for i in $(seq 300); do grep -q attached {err} 2>/dev/null && break; sleep 0.1; done; " +
            "kill -INT $p; wait $p; echo rc=$?";
        var r = Tools.Run("bash", ["-c", script], TimeSpan.FromSeconds(60));
        Assert.Contains("rc=0", r.Stdout);
        Assert.Contains("stopped (interrupted (SIGINT))", File.ReadAllText(err));
    }

    [Fact]
    public void MaxEventsEndsTheRecordingWithAtLeastThatMany()
    {
        var bin = Fixtures.BuildGo("args");
        var dir = Path.Combine(Repo.NewTempDir("maxev"), "cap.ctape");
        using var rec = new BackgroundRecorder(["-o", dir, "-p", "main.record", "-q", "--exe", bin, "--max-events", "500"]);
        rec.WaitAttached();
        Fixtures.Run(bin, "-n 20000");
        Assert.True(rec.Process.WaitForExit(TimeSpan.FromSeconds(30)), rec.Stderr);
        Assert.Equal(0, rec.Process.ExitCode);
        Assert.Contains("500 events reached", rec.Stderr);
        var n = long.Parse(E2E.QueryCsv(dir, "SELECT count(*) FROM calls")[0][0]);
        Assert.InRange(n, 500, 20000);
    }
}
