using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.EndToEnd;

/// <summary>A Go entry probe fires once per call even when the stack check calls morestack and re-enters the function.</summary>
public class StackGrowthTests
{
    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void EntryProbeCountsEachCallOnceWhileStacksGrow(GoToolchain go)
    {
        var bin = Fixtures.BuildGo("args", go);
        var dir = Path.Combine(Repo.NewTempDir("grow"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-p", "main.deep", "-q", "--", bin, "-n", "0", "-grow", "300", "-depth", "40"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var calls = long.Parse(r.Stdout.Split('\n').Single(l => l.StartsWith("DEEP ", StringComparison.Ordinal)).Split('=')[1]);
        Assert.Equal(300 * 41, calls);

        // The probe sits after the stack check: an entry probe at offset 0 would also count every morestack re-entry.
        var probe = E2E.QueryCsv(dir, "SELECT probe_offset FROM probes");
        Assert.NotEqual("0", probe[0][0]);
        var rows = E2E.QueryCsv(dir, "SELECT count(*), count(DISTINCT tid) FROM \"main.deep\"");
        Assert.Equal(calls.ToString(), rows[0][0]);
    }
}
