using System.Text.RegularExpressions;
using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>calltape replay and report on real recordings, compared with checked-in outputs (tests/EndToEnd/Golden).</summary>
/// <remarks>
/// What varies from run to run (PIDs, TIDs, goids and g pointers, times, durations) is scrubbed to placeholders;
/// values, names, nesting, order and counts are compared exactly. CALLTAPE_ACCEPT_GOLDEN=1 (scripts/accept-golden.sh)
/// writes the files instead of comparing, after a change that is meant to alter the output.
/// </remarks>
public class GoldenTests
{
    private static readonly string[] GoFunctions = ["main.add", "main.divmod", "main.greet", "main.clash", "main.many", "main.fib"];

    [Fact]
    public void Returns_ReplayAndReport()
    {
        var bin = Fixtures.BuildGo("returns");
        var dir = Path.Combine(Repo.NewTempDir("golden-ret"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "--returns", "-q", .. GoFunctions.SelectMany(f => new[] { "-p", f }), "--", bin, "-n", "5"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var replay = Analyzer("replay", dir);
        Compare("returns.replay.txt", ScrubReplay(replay));
        Compare("returns.replay-fib.txt", ScrubReplay(Analyzer("replay", dir, "--function", "main.fib", "--where", "n >= 2")));
        Compare("returns.report.txt", ScrubReport(Analyzer("report", dir, "--sort", "calls")));

        // A bundle replays exactly like its capture.
        var bundle = Path.Combine(Path.GetDirectoryName(dir)!, "bug.ctape");
        Analyzer("bundle", dir, "-o", bundle);
        Assert.Equal(replay, Analyzer("replay", bundle));
    }

    [Fact]
    public void EntryOnly_ReplayAndReport()
    {
        var bin = Fixtures.BuildGo("args");
        var dir = Path.Combine(Repo.NewTempDir("golden-args"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-q", "-p", "main.record", "--", bin, "-n", "6"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Compare("args.replay.txt", ScrubReplay(Analyzer("replay", dir)));
        Compare("args.report.txt", ScrubReport(Analyzer("report", dir)));
        Compare("args.report-by-ok.txt", ScrubReport(Analyzer("report", dir, "--by", "arg:ok")));
    }

    private static string Analyzer(params string[] args)
    {
        var r = Tools.Run(Tools.Analyzer, args);
        Assert.True(r.ExitCode == 0, r.ToString());
        E2E.NoStackTrace(r);
        return r.Stdout;
    }

    /// <summary>Time and flow become T and FLOW, a duration D; the call text after "|" (nesting included) stays.</summary>
    internal static string ScrubReplay(string output) => string.Join("\n", output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l =>
    {
        var m = Regex.Match(l, @"^\s*\d+\.\d+s  (?:\[\d+ (?:goid \d+|g 0x[0-9a-f]+|tid \d+)\]\s+(\d+\.\d{3} (?:us|ms| s))?\s*\| (.*)|(--- \d+ events lost.*))$");
        if (!m.Success) return "UNEXPECTED " + l;
        if (m.Groups[3].Success) return "T  " + m.Groups[3].Value;
        return $"T  [FLOW]  {(m.Groups[1].Success ? "D" : "-")} | {m.Groups[2].Value}";
    })) + "\n";

    /// <summary>Durations become D and the columns are joined by two spaces (their widths followed the durations).</summary>
    internal static string ScrubReport(string output) => string.Join("\n", output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l =>
        string.Join("  ", Regex.Split(Regex.Replace(l.Trim(), @"\d+\.\d{3} (us|ms|  s)", "D"), @"\s{2,}")))) + "\n";

    private static void Compare(string name, string actual)
    {
        var path = Path.Combine(Repo.Root, "tests", "EndToEnd", "Golden", name);
        if (Environment.GetEnvironmentVariable("CALLTAPE_ACCEPT_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"{path} is missing; run scripts/accept-golden.sh to create it");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
