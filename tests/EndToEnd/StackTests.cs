using System.Globalization;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.EndToEnd;

/// <summary>
/// calltape-record --stack: every recorded call's user stack, symbolized offline, is the chain the fixture printed for
/// that call (Go: runtime.Callers, inlined frames included; C: the chain it was called through), in SQL (stacks joined
/// to calls), in replay --stack and in export --folded.
/// </summary>
public class StackTests
{
    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void Go_EveryCallsStack_IsTheStackTheProgramPrinted_InSqlReplayAndFolded(GoToolchain go)
    {
        var bin = Fixtures.BuildGo("stacks", go);
        var dir = Path.Combine(Repo.NewTempDir("stk-go"), "cap.ctape");
        var n = 3 + Random.Shared.Next(6);
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-q", "-p", "main.probed", "--stack", "--", bin, "-n", n.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var printed = Printed(r.Stdout);
        Assert.Equal(2 * n, printed.Count);

        var rows = E2E.QueryCsv(dir, "SELECT json_extract(c.args, '$.v')::BIGINT, string_agg(coalesce(s.function, '?'), ' ' ORDER BY s.depth) "
            + "FROM calls c JOIN stacks s USING (stack_id) GROUP BY c.ktime, 1 ORDER BY c.ktime");
        Assert.Equal(printed.Select(p => $"{p.V}:{string.Join(' ', p.Chain)}"), rows.Select(x => $"{x[0]}:{x[1]}"));
        Assert.Equal("0", E2E.QueryCsv(dir, "SELECT count(*) FROM calls WHERE stack_id IS NULL")[0][0]);
        Assert.Equal(["true"], E2E.QueryCsv(dir, "SELECT DISTINCT lower(CAST(inlined AS VARCHAR)) FROM stacks WHERE function = 'main.hop'").Select(x => x[0]));
        Assert.Equal("2", E2E.QueryCsv(dir, "SELECT count(DISTINCT stack_id) FROM calls")[0][0]);

        Assert.Equal(printed.Select(p => (p.V, string.Join(' ', p.Chain))), Replayed(dir, "main.probed"));

        var folded = Folded(dir);
        var expected = printed.GroupBy(p => string.Join(';', p.Chain.AsEnumerable().Reverse()))
            .Select(g => $"{g.Key} {g.Count()}").Order(StringComparer.Ordinal);
        Assert.Equal(expected, folded);
        Assert.Contains(folded, l => l.EndsWith($"main.main;main.a;main.b;main.hop;main.probed {n}", StringComparison.Ordinal));

        var info = Tools.Run(Tools.Analyzer, ["info", dir]);
        Assert.Contains($"stacks      2 distinct user stacks for {2 * n} calls", info.Stdout);
    }

    [Fact]
    public void C_WithFramePointers_EveryCallsStackStartsWithTheChainItWasCalledThrough()
    {
        var n = 3 + Random.Shared.Next(6);
        var (dir, printed) = RecordC("cstacks", "-O0 -g -fno-omit-frame-pointer", "probed", n);
        Assert.Equal(n, printed.Count);

        // Frames past main are libc's (not a traced binary): they keep their address, with no name.
        var rows = E2E.QueryCsv(dir, "SELECT json_extract(c.args, '$.v')::BIGINT, string_agg(coalesce(s.function, '?'), ' ' ORDER BY s.depth) "
            + "FROM calls c JOIN stacks s USING (stack_id) WHERE s.depth < 4 GROUP BY c.ktime, 1 ORDER BY c.ktime");
        Assert.Equal(printed.Select(p => $"{p.V}:{string.Join(' ', p.Chain)}"), rows.Select(x => $"{x[0]}:{x[1]}"));
        Assert.Equal("0", E2E.QueryCsv(dir, "SELECT count(*) FROM calls WHERE stack_id IS NULL")[0][0]);

        Assert.Equal(printed.Select(p => (p.V, string.Join(' ', p.Chain))), Replayed(dir, "probed").Select(x => (x.V, string.Join(' ', x.Chain.Split(' ').Take(4)))));

        var line = Assert.Single(Folded(dir));
        Assert.True(line == $"main;a;b;probed {n}" || line.EndsWith($";main;a;b;probed {n}", StringComparison.Ordinal), line);
    }

    [Fact]
    public void C_CallersInlinedAtO2_AreFramesOfTheirOwn_AtTheirCallSites()
    {
        var n = 2 + Random.Shared.Next(4);
        var (dir, printed) = RecordC("inlines", "-O2 -g -fno-omit-frame-pointer", "deep", n);
        Assert.Equal(3 * n, printed.Count);

        // deep's callers: leaf and middle were inlined into outer, so several frames share one return address.
        var rows = E2E.QueryCsv(dir, "SELECT json_extract(c.args, '$.v')::BIGINT, string_agg(s.function, ' ' ORDER BY s.depth), "
            + "string_agg(s.inlined::VARCHAR, ' ' ORDER BY s.depth) FROM calls c JOIN stacks s USING (stack_id) "
            + "WHERE s.function IS NOT NULL GROUP BY c.ktime, 1 ORDER BY c.ktime"); // libc's frames past main have no name
        Assert.Equal(printed.Select(p => $"{p.V}:{string.Join(' ', p.Chain)}"), rows.Select(x => $"{x[0]}:{x[1]}"));
        Assert.All(rows, x => Assert.Equal(string.Join(' ', x[1].Split(' ').Select(f => f is "leaf" or "middle" ? "true" : "false")), x[2]));
        Assert.Contains(printed, p => p.Chain.Contains("middle"));
        Assert.Contains(printed, p => !p.Chain.Contains("middle"));
    }

    [Fact]
    public void C_ALibraryProbesCallers_InThePieExecutable_AreNamedThroughTheRecordedMappings()
    {
        var bin = CFixtures.Build("cstacks", "-O0 -g -fno-omit-frame-pointer");
        var dir = Path.Combine(Repo.NewTempDir("stk-lib"), "cap.ctape");
        var n = 3 + Random.Shared.Next(6);
        // The process lingers so the recorder can read its /proc/PID/maps when it drains the ring (every 10 ms).
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-q", "-p", "libc.so.6:printf", "--stack", "--", bin, n.ToString(CultureInfo.InvariantCulture), "300"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(n, Printed(r.Stdout).Count);
        // printf is libc's (the probed binary: named through frame 0's bias); its callers are the executable's.
        var rows = E2E.QueryCsv(dir, "SELECT string_agg(coalesce(s.function, '?'), ' ' ORDER BY s.depth) "
            + "FROM calls c JOIN stacks s USING (stack_id) WHERE s.depth BETWEEN 1 AND 4 GROUP BY c.ktime ORDER BY c.ktime");
        Assert.Equal(Enumerable.Repeat("probed b a main", n), rows.Select(x => x[0]));
        Assert.Equal(n.ToString(CultureInfo.InvariantCulture), E2E.QueryCsv(dir,
            "SELECT count(*) FROM calls c JOIN stacks s USING (stack_id) WHERE s.depth = 0 AND s.function IN ('printf', '_IO_printf')")[0][0]);
    }

    /// <summary>Records a C fixture's calls of <paramref name="probe"/> with --stack; its "stack" lines are the oracle.</summary>
    private static (string Dir, List<(long V, string[] Chain)> Printed) RecordC(string fixture, string flags, string probe, int n)
    {
        var bin = CFixtures.Build(fixture, flags);
        var dir = Path.Combine(Repo.NewTempDir("stk-" + fixture), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-q", "-p", probe, "--stack", "--", bin, n.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return (dir, Printed(r.Stdout));
    }

    /// <summary>The fixture's "stack V F1 F2 …" lines: the argument and the chain, innermost first.</summary>
    private static List<(long V, string[] Chain)> Printed(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("stack ", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => (long.Parse(f[1], CultureInfo.InvariantCulture), f[2..]))
            .ToList();

    /// <summary>replay --stack: per call line of the function, its v and the "at NAME" lines under it.</summary>
    private static List<(long V, string Chain)> Replayed(string dir, string function)
    {
        var r = Tools.Run(Tools.Analyzer, ["replay", "--stack", dir]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var result = new List<(long, List<string>)>();
        foreach (var line in r.Stdout.Split('\n'))
        {
            var bar = line.IndexOf("| ", StringComparison.Ordinal);
            if (bar < 0) continue;
            var text = line[(bar + 2)..].Trim();
            if (text.StartsWith(function + "(v=", StringComparison.Ordinal))
            {
                var v = text[(function.Length + 3)..].TakeWhile(c => c == '-' || char.IsAsciiDigit(c));
                result.Add((long.Parse(string.Concat(v), CultureInfo.InvariantCulture), []));
            }
            else if (text.StartsWith("at ", StringComparison.Ordinal) && result.Count > 0)
                result[^1].Item2.Add(text[3..].Split(' ')[0]);
        }
        return result.Select(x => (x.Item1, string.Join(' ', x.Item2))).ToList();
    }

    private static List<string> Folded(string dir)
    {
        var file = Path.Combine(Path.GetDirectoryName(dir)!, "folded.txt");
        var r = Tools.Run(Tools.Analyzer, ["export", dir, "--folded", file]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("from recorded user stacks", r.Stdout + r.Stderr);
        return File.ReadAllLines(file).Where(l => l.Length > 0).ToList();
    }
}
