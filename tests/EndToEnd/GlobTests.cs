using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>-p with a glob: one uprobe_multi link attaches a thousand functions fast, and every call is recorded.</summary>
public partial class GlobTests(ITestOutputHelper output)
{
    [Fact]
    public void OneGlobAttachesAThousandFunctionsAndRecordsEveryCall()
    {
        const int Functions = 1000;
        var bin = CFixtures.BuildMany("ct_fn", Functions);
        var dir = Path.Combine(Repo.NewTempDir("glob"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-p", "ct_fn_*", "-q", "--", bin]);
        Assert.True(r.ExitCode == 0, r.ToString());

        var attached = Attached().Match(r.Stderr);
        Assert.True(attached.Success, r.Stderr);
        Assert.Equal(Functions, int.Parse(attached.Groups[1].Value, CultureInfo.InvariantCulture));
        var seconds = double.Parse(attached.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.Equal("uprobe_multi", attached.Groups[3].Value);
        output.WriteLine($"attached {Functions} probes in {seconds:0.000} s");
        Assert.True(seconds < 5, $"attaching {Functions} probes took {seconds} s (target < 1 s)");

        var expected = CFixtures.ParseCalls(r.Stdout).Select(c => (c.Function, long.Parse(c.Fields["x"], CultureInfo.InvariantCulture)))
            .Order().ToList();
        Assert.Equal(Enumerable.Range(0, Functions).Sum(i => i % 3 + 1), expected.Count);
        var q = Tools.Run(Tools.Analyzer, ["query", dir, "SELECT function, args FROM calls", "--format", "json"]);
        Assert.True(q.ExitCode == 0, q.ToString());
        var recorded = JsonDocument.Parse(q.Stdout).RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("function").GetString()!, JsonDocument.Parse(e.GetProperty("args").GetString()!).RootElement.GetProperty("x").GetInt64()))
            .Order().ToList();
        Assert.Equal(expected, recorded);
    }

    [Fact]
    public void GoGlobRecordsTheMatchingFunction()
    {
        var bin = Fixtures.BuildGo("args");
        var dir = Path.Combine(Repo.NewTempDir("goglob"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-p", "main.rec?r*", "-q", "--", bin, "-n", "25"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("attached 1 probes", r.Stderr);
        Assert.Equal("25", E2E.QueryCsv(dir, "SELECT count(*) FROM \"main.record\"")[0][0]);
    }

    [Fact]
    public void GlobMatchingNothingIsOneLineError()
    {
        var r = Tools.Run(Tools.Recorder, ["-o", Path.Combine(Repo.NewTempDir("glob-none"), "cap.ctape"), "-p", "main.recz*", "--exe", Fixtures.BuildGo("args")]);
        Assert.True(r.ExitCode == 3, r.ToString());
        E2E.NoStackTrace(r);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("calltape-record: error: no function matches 'main.recz*' in ", line);
        Assert.Matches(@"; did you mean .*main\.record", line);
    }

    [GeneratedRegex(@"attached (\d+) probes in ([0-9.]+) s \(([a-z_ ]+)\)")]
    private static partial Regex Attached();
}
