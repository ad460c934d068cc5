using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>`calltape-record -- CMD`: probes are in place before main runs; every call and value is exact.</summary>
public class LaunchModeTests
{
    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void EveryCallAndValueMatchesWhatTheProgramPrinted(GoToolchain go)
    {
        var bin = Fixtures.BuildGo("args", go);
        var dir = Path.Combine(Repo.NewTempDir("launch"), "cap.ctape");
        var calls = 137 + Random.Shared.Next(200);
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-p", "main.record", "-q", "--", bin, "-n", calls.ToString()]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var expected = E2E.ParseArgsFixture(r.Stdout);
        Assert.Equal(calls, expected.Count);

        var rows = E2E.QueryCsv(dir, "SELECT id, name, ok FROM \"main.record\" ORDER BY ts");
        Assert.Equal(expected.Count, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(expected[i].Id, long.Parse(rows[i][0]));
            Assert.Equal(expected[i].Name, rows[i][1]);
            Assert.Equal(expected[i].Ok, bool.Parse(rows[i][2]));
        }
    }

    [Fact]
    public void ReturnsTheCommandsExitCode()
    {
        var dir = Path.Combine(Repo.NewTempDir("launch-exit"), "cap.ctape");
        var bin = Fixtures.BuildGo("args");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-p", "main.record", "-q", "--", bin, "-n", "-1", "-bogus-flag"]);
        Assert.Equal(2, r.ExitCode); // Go's flag package exits 2 on an unknown flag
        var info = Tools.Run(Tools.Analyzer, ["info", dir]);
        Assert.True(info.ExitCode == 0, info.ToString());
    }
}
