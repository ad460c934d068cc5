using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>Helpers shared by the end-to-end tests: they run as root and attach real uprobes.</summary>
internal static class E2E
{
    /// <summary>Runs `calltape query --format csv` and returns the data rows (header dropped), split on commas.</summary>
    public static List<string[]> QueryCsv(string capture, string sql)
    {
        var r = Tools.Run(Tools.Analyzer, ["query", capture, sql, "--format", "csv"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.TrimEnd('\r').Split(',')).ToList();
    }

    /// <summary>Asserts that a tool's stderr is free of .NET stack frames.</summary>
    public static void NoStackTrace(ToolResult r) =>
        Assert.False(r.Stderr.Contains("   at ", StringComparison.Ordinal) || r.Stdout.Contains("   at ", StringComparison.Ordinal), r.ToString());

    /// <summary>Parses the fixture's "CALL record id=.. name=.. ok=.." lines.</summary>
    public static List<(long Id, string Name, bool Ok)> ParseArgsFixture(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("CALL record ", StringComparison.Ordinal))
            .Select(l =>
            {
                var f = l["CALL record ".Length..].Split(' ').Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
                return (long.Parse(f["id"]), f["name"], bool.Parse(f["ok"]));
            }).ToList();
}
