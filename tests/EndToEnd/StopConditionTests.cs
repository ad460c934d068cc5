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
