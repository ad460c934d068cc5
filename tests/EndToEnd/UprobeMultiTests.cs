using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>The uprobe_multi link needs only CAP_BPF+CAP_PERFMON; perf-event attach remains as the fallback.</summary>
public class UprobeMultiTests
{
    [Fact]
    public void RecordsAsAnUnprivilegedUserWithOnlyCapBpfAndCapPerfmon()
    {
        // setpriv (util-linux): become nobody, keeping CAP_BPF and CAP_PERFMON as ambient capabilities, which survive
        // the exec of the recorder; the bounding set drops everything else, CAP_SYS_ADMIN included.
        var bin = Fixtures.BuildGo("args");
        var work = Repo.NewTempDir("caps");
        File.SetUnixFileMode(work, (UnixFileMode)0x1ff); // nobody writes the capture here
        var dir = Path.Combine(work, "cap.ctape");
        var r = Tools.Run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=-all,+bpf,+perfmon", "--ambient-caps=-all,+bpf,+perfmon", "--bounding-set=-all,+bpf,+perfmon",
            Tools.Recorder, "-o", dir, "-p", "main.record", "-q", "--", bin, "-n", "57"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("(uprobe_multi)", r.Stderr);
        AssertRecordedAsPrinted(dir, r.Stdout, 57);
    }

    [Fact]
    public void PerfEventFallbackStillRecords()
    {
        var bin = Fixtures.BuildGo("args");
        var dir = Path.Combine(Repo.NewTempDir("perf"), "cap.ctape");
        var r = Tools.Run("env", ["CALLTAPE_UPROBE_MULTI=0", Tools.Recorder, "-o", dir, "-p", "main.record", "-q", "--", bin, "-n", "31"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("(perf events)", r.Stderr);
        AssertRecordedAsPrinted(dir, r.Stdout, 31);
    }

    private static void AssertRecordedAsPrinted(string dir, string stdout, int calls)
    {
        var expected = E2E.ParseArgsFixture(stdout);
        Assert.Equal(calls, expected.Count);
        var rows = E2E.QueryCsv(dir, "SELECT id, name, ok FROM \"main.record\" ORDER BY ts");
        Assert.Equal(expected, rows.Select(x => (long.Parse(x[0]), x[1], bool.Parse(x[2]))).ToList());
    }
}
