using Xunit;
using System.Diagnostics;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>`--pid` records that process only, while another process runs the same binary.</summary>
public class PidFilterTests
{
    [Fact]
    public void RecordsOnlyTheChosenProcess()
    {
        var bin = Fixtures.BuildGo("args");
        var dir = Path.Combine(Repo.NewTempDir("pid"), "cap.ctape");
        using var a = Start(bin, 300);
        using var b = Start(bin, 200);
        using (var rec = new BackgroundRecorder(["-o", dir, "-p", "main.record", "-q", "--pid", a.Id.ToString()]))
        {
            rec.WaitAttached();
            var outA = a.StandardOutput.ReadToEnd();
            var outB = b.StandardOutput.ReadToEnd();
            a.WaitForExit();
            b.WaitForExit();
            Assert.Equal(300, E2E.ParseArgsFixture(outA).Count);
            Assert.Equal(200, E2E.ParseArgsFixture(outB).Count);
            // The recorder stops by itself when the traced process exits.
            Assert.True(rec.Process.WaitForExit(TimeSpan.FromSeconds(30)), rec.Stderr);
            Assert.Equal(0, rec.Process.ExitCode);
        }
        var rows = E2E.QueryCsv(dir, "SELECT pid, count(*) FROM \"main.record\" GROUP BY 1");
        Assert.Single(rows);
        Assert.Equal(a.Id.ToString(), rows[0][0]);
        Assert.Equal("300", rows[0][1]);
    }

    private static Process Start(string bin, int n)
    {
        // The delay gives the recorder time to attach before the first call.
        var psi = new ProcessStartInfo(bin, $"-n {n} -delay 4s") { RedirectStandardOutput = true, UseShellExecute = false };
        return Process.Start(psi)!;
    }
}
