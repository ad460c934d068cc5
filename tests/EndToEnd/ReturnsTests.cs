using System.Globalization;
using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>`calltape-record --returns`: every call's results and duration, Go by RET probes and C by uretprobes.</summary>
public class ReturnsTests
{
    private static readonly string[] GoFunctions = ["main.add", "main.divmod", "main.greet", "main.clash", "main.many", "main.fib"];

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void Go_EveryCallsArgumentsAndResultsMatchWhatTheProgramPrinted(GoToolchain go)
    {
        var bin = Fixtures.BuildGo("returns", go);
        var dir = Path.Combine(Repo.NewTempDir("ret-go"), "cap.ctape");
        var n = 20 + Random.Shared.Next(20);
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "--returns", "-q", .. GoFunctions.SelectMany(f => new[] { "-p", f }), "--", bin, "-n", n.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var printed = Printed(r.Stdout);

        // One query per function; every row is paired (duration > 0) and ran on the main goroutine (goid 1).
        Expect(printed["add"], E2E.QueryCsv(dir, "SELECT a, b, r0, duration_ns, goid FROM \"main.add\""), 3);
        Expect(printed["divmod"], E2E.QueryCsv(dir, "SELECT a, b, q, lower(CAST(ok AS VARCHAR)), duration_ns, goid FROM \"main.divmod\""), 4);
        Expect(printed["greet"], E2E.QueryCsv(dir, "SELECT name, n, r0, duration_ns, goid FROM \"main.greet\""), 3);
        Expect(printed["clash"], E2E.QueryCsv(dir, "SELECT r0, ret_r0, duration_ns, goid FROM \"main.clash\""), 2);
        Expect(printed["fib"], E2E.QueryCsv(dir, "SELECT n, r0, duration_ns, goid FROM \"main.fib\""), 2);
        // The tenth result is stack-assigned: read from the stack window at the RET.
        Expect(printed["many"], E2E.QueryCsv(dir, "SELECT x, a, b, c, d, e, f, g, h, i, j, duration_ns, goid FROM \"main.many\""), 11);

        // fib nests: a call lasts at least as long as the calls it made, so the outermost is the longest.
        var fib = E2E.QueryCsv(dir, "SELECT n, duration_ns FROM \"main.fib\" ORDER BY duration_ns DESC LIMIT 1");
        Assert.Equal((n % 12).ToString(CultureInfo.InvariantCulture), fib[0][0]);
        var info = Tools.Run(Tools.Analyzer, ["info", dir]);
        Assert.Contains("returns without an entry", info.Stdout);
        Assert.Contains(", 0 returns without an entry, 0 calls never returned", info.Stdout);
    }

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void Go_GrowingGoroutineStacksUnderRetProbes_DoNotCrashOrChangeTheOutput(GoToolchain go)
    {
        var bin = Fixtures.BuildGo("returns", go);
        const int goroutines = 48, depth = 250;
        string[] args = ["-mode", "stack", "-n", goroutines.ToString(CultureInfo.InvariantCulture), "-depth", depth.ToString(CultureInfo.InvariantCulture)];
        var plain = Tools.Run(bin, args);
        Assert.Equal(0, plain.ExitCode);

        var dir = Path.Combine(Repo.NewTempDir("ret-stack"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "--returns", "-q", "-p", "main.deep", "--", bin, .. args]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(plain.Stdout, r.Stdout);

        // Every call of every goroutine, each paired with its own return, by goroutine.
        var calls = Enumerable.Range(0, goroutines).Sum(g => depth + g + 1);
        var rows = E2E.QueryCsv(dir, "SELECT d, r0, duration_ns, goid FROM \"main.deep\"");
        Assert.Equal(calls, rows.Count);
        foreach (var row in rows)
        {
            Assert.Equal(Deep(long.Parse(row[0], CultureInfo.InvariantCulture)), long.Parse(row[1], CultureInfo.InvariantCulture));
            Assert.True(long.Parse(row[2], CultureInfo.InvariantCulture) > 0, string.Join(",", row));
        }
        var perGoroutine = E2E.QueryCsv(dir, "SELECT goid, count(*), max(d) - min(d) + 1 FROM \"main.deep\" GROUP BY goid");
        Assert.Equal(goroutines, perGoroutine.Count);
        Assert.All(perGoroutine, g => Assert.Equal(g[1], g[2]));
        var info = Tools.Run(Tools.Analyzer, ["info", dir]);
        Assert.Contains($"{calls:N0} calls paired with their return, 0 returns without an entry, 0 calls never returned", info.Stdout);
    }

    [Theory]
    [InlineData("-O0")]
    [InlineData("-O2")]
    public void C_ResultsThroughUretprobes_MatchExactly(string opt)
    {
        var work = Repo.NewTempDir("ret-c");
        var bin = Path.Combine(work, "creturns");
        Fixtures.Run("gcc", $"-g {opt} -o {bin} {Path.Combine(Repo.Root, "tests", "fixtures", "c", "creturns.c")}");
        var dir = Path.Combine(work, "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "--returns", "-q", "-p", "add3", "-p", "is_even", "-p", "negate", "-p", "mix", "-p", "word", "-p", "fact", "--", bin, "13"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var printed = Printed(r.Stdout);
        Expect(printed["add3"], E2E.QueryCsv(dir, "SELECT a, b, c, r0, duration_ns FROM add3"), 4);
        Expect(printed["is_even"], E2E.QueryCsv(dir, "SELECT v, r0, duration_ns FROM is_even"), 2);
        Expect(printed["negate"], E2E.QueryCsv(dir, "SELECT v, r0, duration_ns FROM negate"), 2);
        Expect(printed["mix"], E2E.QueryCsv(dir, "SELECT x, r0, duration_ns FROM mix"), 2);
        Expect(printed["fact"], E2E.QueryCsv(dir, "SELECT n, r0, duration_ns FROM fact"), 2);
        Expect(printed["word"], E2E.QueryCsv(dir, "SELECT i, r0, duration_ns FROM word"), 2); // a char* result, read at the return
        var calls = E2E.QueryCsv(dir, "SELECT count(*), count(duration_ns), count(ret) FROM calls");
        const string all = "78"; // 13 rounds of 5 calls, then fact(13) recursing 13 deep
        Assert.Equal(new[] { all, all, all }, calls[0]);
    }

    /// <summary>The fixture's "fn args... -> results..." lines, per function, each as its values in order.</summary>
    private static Dictionary<string, List<string[]>> Printed(string stdout)
    {
        var result = new Dictionary<string, List<string[]>>();
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var arrow = line.IndexOf(" -> ", StringComparison.Ordinal);
            if (arrow < 0) continue;
            var head = line[..arrow].Split(' ');
            // A result may be empty (greet with n=0): keep it as one empty value.
            var values = head[1..].Concat(line[(arrow + 4)..].Split(' ')).ToArray();
            if (!result.TryGetValue(head[0], out var list)) result[head[0]] = list = [];
            list.Add(values);
        }
        return result;
    }

    /// <summary>The rows, as multisets, equal what was printed in their first <paramref name="values"/> columns; the
    /// column after them is a positive duration, and goid (when present) is the main goroutine's, 1.</summary>
    private static void Expect(List<string[]> printed, List<string[]> rows, int values)
    {
        static string Key(IEnumerable<string> v) => string.Join('\u0001', v);
        Assert.Equal(printed.Select(p => Key(p)).Order(StringComparer.Ordinal), rows.Select(r => Key(r.Take(values))).Order(StringComparer.Ordinal));
        foreach (var row in rows)
        {
            Assert.True(long.TryParse(row[values], CultureInfo.InvariantCulture, out var ns) && ns > 0, "duration: " + string.Join(",", row));
            if (row.Length > values + 1) Assert.Equal("1", row[values + 1]);
        }
    }

    /// <summary>main.deep of the fixture: deep(0) = 63, deep(d) = deep(d-1) + d + d%64.</summary>
    private static long Deep(long d)
    {
        long r = 63;
        for (long i = 1; i <= d; i++) r += i + i % 64;
        return r;
    }
}
