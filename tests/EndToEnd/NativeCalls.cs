using System.Text.Json;
using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>
/// Checks a C++ or Rust fixture's recording against what it printed: "CALL name field=value ..." at each entry and
/// "RET name value" after each return. Every call must be captured in order with its demangled function name, every
/// printed field must equal the decoded argument (a dotted field follows a pointer into a struct), every printed result
/// the decoded return value, and every call must have a duration.
/// </summary>
internal static class NativeCalls
{
    public sealed record Printed(string Function, Dictionary<string, string> Fields, string? Result);

    /// <summary>The CALL lines, each with the RET line that follows it for the same function (none for void functions).</summary>
    public static List<Printed> Parse(string stdout)
    {
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var calls = new List<Printed>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("CALL ", StringComparison.Ordinal)) continue;
            var parts = lines[i]["CALL ".Length..].Split(' ');
            var fields = parts.Skip(1).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
            string? result = null;
            var prefix = $"RET {parts[0]} ";
            for (var j = i + 1; j < lines.Length && !lines[j].StartsWith("CALL ", StringComparison.Ordinal); j++)
                if (lines[j].StartsWith(prefix, StringComparison.Ordinal)) result = lines[j][prefix.Length..];
            calls.Add(new Printed(parts[0], fields, result));
        }
        return calls;
    }

    /// <summary>Compares the capture's calls (in time order) with the printed ones; <paramref name="sameFunction"/> says whether a printed name is the captured one.</summary>
    /// <param name="nullText">How the program prints a null reference (Rust: "None" for an empty Option&lt;&amp;T&gt;).</param>
    public static void Compare(string capture, List<Printed> printed, Func<string, string, bool> sameFunction, string nullText = "null")
    {
        var q = Tools.Run(Tools.Analyzer, ["query", capture, "SELECT function, args, ret, duration_ns FROM calls ORDER BY ts", "--format", "json"]);
        Assert.True(q.ExitCode == 0, q.ToString());
        var rows = JsonDocument.Parse(q.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(printed.Count, rows.Count);
        var wrong = new List<string>(); // every mismatch, so one run shows them all
        for (var i = 0; i < rows.Count; i++)
        {
            var p = printed[i];
            var function = rows[i].GetProperty("function").GetString()!;
            Assert.True(sameFunction(p.Function, function), $"call {i}: printed {p.Function}, captured {function}");
            using var args = JsonDocument.Parse(rows[i].GetProperty("args").GetString()!);
            foreach (var (name, text) in p.Fields)
            {
                var where = $"call {i} {function}: {name}";
                if (!TryPath(args.RootElement, name, out var v)) wrong.Add($"{where} missing from {args.RootElement}");
                else if (text != Text(v, nullText)) wrong.Add($"{where}: the program passed {text}, the capture says {v}");
            }
            Assert.True(rows[i].GetProperty("duration_ns").ValueKind == JsonValueKind.Number, $"call {i} {function}: no duration");
            Assert.True(rows[i].GetProperty("duration_ns").GetInt64() > 0, $"call {i} {function}: no duration");
            if (p.Result is null) continue;
            var retText = rows[i].GetProperty("ret").GetString();
            Assert.False(retText is null, $"call {i} {function}: no result captured");
            using var ret = JsonDocument.Parse(retText);
            var values = ret.RootElement.EnumerateObject().ToList();
            Assert.True(values.Count == 1, $"call {i} {function}: results {ret.RootElement}");
            if (p.Result != Text(values[0].Value, nullText)) wrong.Add($"call {i} {function}: returned {p.Result}, the capture says {values[0].Value}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} values differ:\n" + string.Join("\n", wrong.DistinctBy(w => w[(w.IndexOf(' ', 5) + 1)..]).Take(30)));
    }

    /// <summary>A dotted path ("this.base_") through nested objects.</summary>
    private static bool TryPath(JsonElement root, string path, out JsonElement value)
    {
        value = root;
        foreach (var part in path.Split('.'))
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(part, out var next)) return false;
            value = next;
        }
        return true;
    }

    /// <summary>A decoded value as the fixtures print it: strings bare, arrays as [a,b], numbers and booleans as JSON.</summary>
    private static string Text(JsonElement v, string nullText) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Null => nullText,
        JsonValueKind.Array => "[" + string.Join(",", v.EnumerateArray().Select(e => Text(e, nullText))) + "]",
        _ => v.GetRawText(),
    };
}
