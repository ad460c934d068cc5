using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>C arguments by the SysV ABI and DWARF: every value the fixture printed is what the capture decodes.</summary>
public class CAbiTests
{
    private const int StringMax = 64;

    [Theory]
    [InlineData("gcc", "-O0 -g")]
    [InlineData("gcc", "-O2 -g")]
    [InlineData("clang-14", "-O0 -g")]
    public void EveryCallAndValueMatchesWhatTheProgramPrinted(string compiler, string flags)
    {
        var bin = CFixtures.Build("abi", flags, compiler);
        var dir = Path.Combine(Repo.NewTempDir("cabi"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-p", "abi_*", "-q", "--string-max", StringMax.ToString(), "--", bin, "4"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var expected = CFixtures.ParseCalls(r.Stdout);
        Assert.Equal(60, expected.Count);

        var q = Tools.Run(Tools.Analyzer, ["query", dir, "SELECT function, args FROM calls ORDER BY ts", "--format", "json"]);
        Assert.True(q.ExitCode == 0, q.ToString());
        var rows = JsonDocument.Parse(q.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(expected.Count, rows.Count);
        var checkedStrings = new HashSet<string>();
        for (var i = 0; i < rows.Count; i++)
        {
            var (function, printed) = expected[i];
            Assert.Equal(function, rows[i].GetProperty("function").GetString());
            using var args = JsonDocument.Parse(rows[i].GetProperty("args").GetString()!);
            var recorded = args.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
            foreach (var (name, text) in printed)
            {
                Assert.True(recorded.TryGetValue(name, out var v), $"{function}: {name} missing from {args.RootElement}");
                var where = $"call {i} {function}.{name}";
                if (text == "<nil>") Assert.Equal("nil pointer", NotCaptured(v, where));
                else if (text.StartsWith('{') || text == "null")
                {
                    // Structs by value and through pointers: every field as printed, SSE fields marked as printed.
                    Assert.True(JsonNode.DeepEquals(JsonNode.Parse(text), JsonNode.Parse(v.GetRawText())), $"{where}: {v} but the program passed {text}");
                    checkedStrings.Add("struct");
                }
                else if (v.ValueKind == JsonValueKind.Object)
                {
                    // Only a string longer than --string-max may be missing, and then with its first bytes.
                    Assert.True(text.Length > StringMax, $"{where}: {v} but the program passed {text}");
                    Assert.Equal($"truncated at {StringMax} bytes", NotCaptured(v, where));
                    Assert.Equal(text[..StringMax], v.GetProperty("partial").GetString());
                    checkedStrings.Add("truncated");
                }
                else
                {
                    Assert.Equal(text, v.ValueKind switch
                    {
                        JsonValueKind.String => v.GetString(),
                        _ => v.GetRawText(),
                    });
                    if (v.ValueKind == JsonValueKind.String && text.Length == StringMax) checkedStrings.Add("exact");
                }
            }
            // What the fixture does not print (doubles in SSE registers) is marked, never guessed.
            foreach (var (name, v) in recorded.Where(kv => !printed.ContainsKey(kv.Key)))
                Assert.False(string.IsNullOrEmpty(NotCaptured(v, $"{function}.{name}")));
        }
        Assert.Equal(["exact", "struct", "truncated"], checkedStrings.Order());
    }

    [Theory]
    [InlineData("gcc", "-O2 -g")]
    [InlineData("clang-14", "-O0 -g")]
    public void StructResults_InRegistersAndThroughTheCallersBuffer_MatchExactly(string compiler, string flags)
    {
        var bin = CFixtures.Build("abi", flags, compiler);
        var dir = Path.Combine(Repo.NewTempDir("cabi-ret"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "--returns", "-q", "-p", "abi_returns_*", "--", bin, "3"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var printed = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("RET ", StringComparison.Ordinal))
            .Select(l => l.Split(' ', 3)).Select(p => (Function: p[1], Result: p[2]["r0=".Length..])).ToList();
        Assert.Equal(9, printed.Count);

        var q = Tools.Run(Tools.Analyzer, ["query", dir, "SELECT function, ret FROM calls ORDER BY ts", "--format", "json"]);
        Assert.True(q.ExitCode == 0, q.ToString());
        var rows = JsonDocument.Parse(q.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(printed.Select(p => p.Function), rows.Select(row => row.GetProperty("function").GetString()));
        for (var i = 0; i < rows.Count; i++)
        {
            var ret = JsonNode.Parse(rows[i].GetProperty("ret").GetString()!)!["r0"];
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(printed[i].Result), ret), $"{printed[i].Function}: {ret?.ToJsonString()} but it returned {printed[i].Result}");
        }
    }

    private static string NotCaptured(JsonElement v, string where)
    {
        Assert.True(v.ValueKind == JsonValueKind.Object && v.TryGetProperty("not_captured", out _), $"{where}: expected not captured, got {v}");
        return v.GetProperty("not_captured").GetString()!;
    }
}
