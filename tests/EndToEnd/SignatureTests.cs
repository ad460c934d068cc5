using System.Text.Json;
using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>-p signatures on binaries without DWARF, and Go assembly (ABI0): every value is what the program printed.</summary>
public class SignatureTests
{
    private const string Stripped = "\"-ldflags=-s -w\"";

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void StrippedGo_SignatureDecodesEveryValue(GoToolchain go)
    {
        var bin = Fixtures.BuildGo("args", go, Stripped);
        var dir = Path.Combine(Repo.NewTempDir("sig-go"), "cap.ctape");
        var calls = 50 + Random.Shared.Next(100);
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-p", "main.record(id int64, name string, ok bool) int64", "-q", "--", bin, "-n", calls.ToString()]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var expected = E2E.ParseArgsFixture(r.Stdout);
        Assert.Equal(calls, expected.Count);

        var rows = Args(dir);
        Assert.Equal(expected.Count, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal("main.record", rows[i].Function);
            Assert.Equal(expected[i].Id, rows[i].Args["id"].GetInt64());
            Assert.Equal(expected[i].Name, rows[i].Args["name"].GetString());
            Assert.Equal(expected[i].Ok, rows[i].Args["ok"].GetBoolean());
        }
    }

    [Theory]
    [InlineData(GoToolchain.Go119, "")]
    [InlineData(GoToolchain.Go126, "")]
    [InlineData(GoToolchain.Go119, Stripped)]
    [InlineData(GoToolchain.Go126, Stripped)]
    public void GoAssemblyAbi0_EveryValueFromTheStack(GoToolchain go, string flags)
    {
        var bin = Fixtures.BuildGo("asmabi", go, flags);
        var dir = Path.Combine(Repo.NewTempDir("sig-asm"), "cap.ctape");
        var calls = 20 + Random.Shared.Next(40);
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-p", "main.addAsm(a int64, b int32, flag bool, name string) int64", "-q", "--", bin, "-n", calls.ToString()]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var expected = CFixtures.ParseCalls(r.Stdout);
        Assert.Equal(calls, expected.Count);

        var rows = Args(dir);
        Assert.Equal(expected.Count, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.StartsWith("main.addAsm", rows[i].Function); // "main.addAsm.abi0" in .symtab, "main.addAsm" in .gopclntab
            foreach (var (name, text) in expected[i].Fields)
                Assert.Equal(text, Text(rows[i].Args[name]));
        }
    }

    [Fact]
    public void CWithoutDebugInfo_SignatureDecodesEveryValue()
    {
        var bin = CFixtures.Build("abi", "-O2");
        Assert.DoesNotContain(".debug_info", Fixtures.Run("readelf", $"-SW {bin}"));
        string[] signatures =
        [
            "abi_ints(signed char c, short s, int i, long l, unsigned char uc, unsigned short us)",
            "abi_uints(unsigned int u, unsigned long ul, long long ll, bool b, int neg)",
            "abi_strs(const char *a, char *b, const char *none, int n)",
        ];
        var dir = Path.Combine(Repo.NewTempDir("sig-c"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, .. signatures.SelectMany(s => new[] { "-p", s }), "-q", "--string-max", "1024", "--", bin, "4"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var expected = CFixtures.ParseCalls(r.Stdout).Where(c => c.Function is "abi_ints" or "abi_uints" or "abi_strs").ToList();
        Assert.NotEmpty(expected);
        Assert.All(expected.SelectMany(c => c.Fields.Values), v => Assert.True(v.Length < 1024, "a string longer than --string-max"));

        var rows = Args(dir);
        Assert.Equal(expected.Count, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(expected[i].Function, rows[i].Function);
            foreach (var (name, text) in expected[i].Fields)
            {
                var v = rows[i].Args[name];
                if (text == "<nil>") Assert.Equal("nil pointer", v.GetProperty("not_captured").GetString());
                else Assert.Equal(text, Text(v));
            }
        }
    }

    [Fact]
    public void BadSignature_OneLineExit2()
    {
        var bin = Fixtures.BuildGo("args", GoToolchain.Go119, Stripped);
        var dir = Path.Combine(Repo.NewTempDir("sig-bad"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-p", "main.record(id int64, name strin)", "-q", "--", bin, "-n", "1"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("bad signature for main.record: unknown type 'strin'", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        E2E.NoStackTrace(r);
    }

    internal static string Text(JsonElement v) => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();

    internal static List<(string Function, Dictionary<string, JsonElement> Args)> Args(string capture)
    {
        var q = Tools.Run(Tools.Analyzer, ["query", capture, "SELECT function, args FROM calls ORDER BY ts", "--format", "json"]);
        Assert.True(q.ExitCode == 0, q.ToString());
        return JsonDocument.Parse(q.Stdout).RootElement.EnumerateArray().Select(row =>
        {
            using var args = JsonDocument.Parse(row.GetProperty("args").GetString()!);
            return (row.GetProperty("function").GetString()!, args.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()));
        }).ToList();
    }
}
