using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>Go composite values (structs, slices, arrays, pointers, interfaces, maps, channels, floats): every call,
/// argument and result the fixture printed is what the capture decodes, or a leaf marked not captured by design.</summary>
public class CompositeValuesTests
{
    private const string NoOpt = "\"-gcflags=all=-N -l\"";
    private const string Pie = "-buildmode=pie";

    // Reasons a leaf may legitimately be missing: floats in XMM registers, and pointers past the dereference budget.
    private static readonly string[] Allowed = ["float register", "depth limit"];

    [Theory]
    [InlineData(GoToolchain.Go119, "")]
    [InlineData(GoToolchain.Go119, NoOpt)]
    [InlineData(GoToolchain.Go126, "")]
    [InlineData(GoToolchain.Go126, NoOpt)]
    // A position-independent executable runs at a random bias: interfaces' type words are named after subtracting it.
    [InlineData(GoToolchain.Go119, Pie)]
    [InlineData(GoToolchain.Go126, Pie)]
    public void EveryCallArgumentAndResultMatchesWhatTheProgramPrinted(GoToolchain go, string flags)
    {
        var bin = Fixtures.BuildGo("composite", go, flags);
        var dir = Path.Combine(Repo.NewTempDir("composite"), "cap.ctape");
        var rounds = 3 + Random.Shared.Next(3);
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-q", "--returns", "-p", "main.take*", "-p", "main.make*", "--",
            bin, "-n", rounds.ToString(CultureInfo.InvariantCulture), "-results"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var printed = Printed(r.Stdout);
        Assert.Equal(27 * rounds, printed.Count);

        var q = Tools.Run(Tools.Analyzer, ["query", dir, "SELECT function, args, ret FROM calls ORDER BY ts", "--format", "json"]);
        Assert.True(q.ExitCode == 0, q.ToString());
        var rows = JsonDocument.Parse(q.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(printed.Count, rows.Count);

        var stats = new Stats();
        for (var i = 0; i < rows.Count; i++)
        {
            var (function, args, ret) = printed[i];
            Assert.Equal(function, rows[i].GetProperty("function").GetString());
            Compare(args, JsonNode.Parse(rows[i].GetProperty("args").GetString()!), $"call {i} {function} args", stats);
            if (ret is not null) Compare(ret, JsonNode.Parse(rows[i].GetProperty("ret").GetString()!), $"call {i} {function} ret", stats);
        }
        // The function tables: a composite's column is its JSON text, a followed pointer's column its address.
        var points = JsonDocument.Parse(Tools.Run(Tools.Analyzer, ["query", dir, "SELECT p FROM \"main.takePoint\" ORDER BY ts", "--format", "json"]).Stdout)
            .RootElement.EnumerateArray().Select(e => JsonNode.Parse(e.GetProperty("p").GetString()!)).ToList();
        Assert.Equal(printed.Where(c => c.Function == "main.takePoint").Select(c => c.Args["p"]!.ToJsonString()), points.Select(p => p!.ToJsonString()));
        var orders = E2E.QueryCsv(dir, "SELECT o FROM \"main.takeOrder\" ORDER BY ts");
        Assert.Equal(Enumerable.Range(0, 2 * rounds).Select(k => k % 2 == 1), orders.Select(o => o[0] == "0"));

        // Replay prints the same values, interfaces by their dynamic type.
        var replay = Tools.Run(Tools.Analyzer, ["replay", dir]);
        Assert.True(replay.ExitCode == 0, replay.ToString());
        Assert.Contains("main.takeError(err=*main.MyErr({Code:40 Msg:\"bad 0\"}))", replay.Stdout);
        Assert.Contains("main.takeOrder(o={ID:100 Name:\"order-0\" Qty:0 Price:9.5 Tags:len=2 cap=2 [\"red\" \"blue\"]", replay.Stdout);

        // Interfaces name their dynamic types; floats passed on the stack are exact (f15 of takeManyFloats).
        Assert.True(stats.Exact > 50 * rounds, $"only {stats.Exact} exact leaves");
        Assert.Contains("*main.MyErr", stats.Types);
        Assert.Contains("*errors.errorString", stats.Types);
        Assert.Contains("main.Point", stats.Types);
        // A Shape whose itab the runtime built (a type assertion): named from the itab's type word the probe read.
        Assert.Contains("main.Square", stats.Types);
        Assert.Contains("int", stats.Types);
        Assert.Contains("string", stats.Types);
    }

    private sealed class Stats
    {
        public int Exact;
        public readonly HashSet<string> Types = [];
    }

    /// <summary>The fixture's CALL lines, each with the RET line that follows it for the same function (make*).</summary>
    private static List<(string Function, JsonNode Args, JsonNode? Ret)> Printed(string stdout)
    {
        var result = new List<(string, JsonNode, JsonNode?)>();
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 3);
            if (parts[0] == "CALL") result.Add((parts[1], JsonNode.Parse(parts[2])!, null));
            else if (parts[0] == "RET")
            {
                Assert.Equal(parts[1], result[^1].Item1);
                result[^1] = result[^1] with { Item3 = JsonNode.Parse(parts[2]) };
            }
        }
        return result;
    }

    private static void Compare(JsonNode? expected, JsonNode? actual, string where, Stats stats)
    {
        if (actual is JsonObject o && o.ContainsKey("not_captured"))
        {
            var reason = o["not_captured"]!.GetValue<string>();
            Assert.True(Allowed.Contains(reason), $"{where}: not captured ({reason}), the program passed {expected?.ToJsonString()}");
            if (reason == "float register") Assert.True(expected is JsonValue v && v.GetValueKind() == JsonValueKind.Number, $"{where}: {reason} for {expected?.ToJsonString()}");
            return;
        }
        switch (expected)
        {
            case null:
                Assert.True(actual is null, $"{where}: expected null, got {actual?.ToJsonString()}");
                stats.Exact++;
                break;
            case JsonObject e:
                var a = Assert.IsType<JsonObject>(actual, exactMatch: false);
                if (e.ContainsKey("type") && e.ContainsKey("value") && a["type"] is { } t) stats.Types.Add(t.GetValue<string>());
                var partial = a["elems_not_captured"]?.GetValue<string>();
                Assert.True(partial is null || Allowed.Contains(partial) || partial.StartsWith("truncated at", StringComparison.Ordinal), $"{where}: {partial}");
                Assert.Equal(e.Select(kv => kv.Key).Order(), a.Where(kv => kv.Key != "elems_not_captured").Select(kv => kv.Key).Order());
                foreach (var (key, value) in e)
                {
                    if (key == "elems" && partial is not null)
                    {
                        var got = a[key]!.AsArray();
                        var want = value!.AsArray();
                        Assert.True(got.Count < want.Count, $"{where}.elems: {partial} but all {want.Count} are there");
                        for (var k = 0; k < got.Count; k++) Compare(want[k], got[k], $"{where}.elems[{k}]", stats);
                        continue;
                    }
                    Compare(value, a[key], $"{where}.{key}", stats);
                }
                break;
            case JsonArray e:
                var arr = Assert.IsType<JsonArray>(actual, exactMatch: false);
                Assert.True(e.Count == arr.Count, $"{where}: {arr.ToJsonString()} but the program passed {e.ToJsonString()}");
                for (var k = 0; k < e.Count; k++) Compare(e[k], arr[k], $"{where}[{k}]", stats);
                break;
            default:
                var ev = (JsonValue)expected;
                Assert.True(actual is JsonValue, $"{where}: {actual?.ToJsonString()} but the program passed {ev.ToJsonString()}");
                var av = (JsonValue)actual!;
                if (ev.GetValueKind() == JsonValueKind.Number)
                    Assert.True(decimal.Parse(ev.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
                        == decimal.Parse(av.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture), $"{where}: {av.ToJsonString()} but the program passed {ev.ToJsonString()}");
                else
                    Assert.True(JsonNode.DeepEquals(ev, av), $"{where}: {av.ToJsonString()} but the program passed {ev.ToJsonString()}");
                stats.Exact++;
                break;
        }
    }
}
