using System.IO.Compression;
using System.Text;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.EndToEnd;

/// <summary>calltape bundle and --redact on real recordings of the args fixture, record(id int64, name string, ok bool).</summary>
public class BundleTests
{
    private const string Select = "SELECT id, name, ok FROM \"main.record\" ORDER BY ts";

    /// <summary>Records a private copy of the fixture (so it can be deleted) in launch mode; returns the capture, the copy and what it printed.</summary>
    private static (string Dir, string Capture, string Binary, List<(long Id, string Name, bool Ok)> Calls) Record(int calls, params string[] extra)
    {
        var dir = Repo.NewTempDir("bundle-e2e");
        var bin = Path.Combine(dir, "args");
        File.Copy(Fixtures.BuildGo("args"), bin);
        var cap = Path.Combine(dir, "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", cap, "-p", "main.record", "-q", .. extra, "--", bin, "-n", calls.ToString()]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var expected = E2E.ParseArgsFixture(r.Stdout);
        Assert.Equal(calls, expected.Count);
        return (dir, cap, bin, expected);
    }

    private static string Bundle(string capture, params string[] extra)
    {
        var outFile = Path.Combine(Repo.NewTempDir("bundle-e2e-out"), "bug.ctape");
        var r = Tools.Run(Tools.Analyzer, ["bundle", capture, "-o", outFile, .. extra]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return outFile;
    }

    /// <summary>Every file's bytes: the bundle's entries, or a capture directory's files.</summary>
    private static IEnumerable<(string Name, byte[] Bytes)> Contents(string path)
    {
        if (Directory.Exists(path))
        {
            foreach (var f in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)) yield return (f, File.ReadAllBytes(f));
            yield break;
        }
        using var zip = ZipFile.OpenRead(path);
        foreach (var e in zip.Entries)
        {
            using var s = e.Open();
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            yield return (e.FullName, ms.ToArray());
        }
    }

    private static void AssertNoName(string path, IEnumerable<string> names)
    {
        var needles = names.Select(Encoding.UTF8.GetBytes).ToArray();
        foreach (var (file, bytes) in Contents(path))
            foreach (var n in needles)
                Assert.True(bytes.AsSpan().IndexOf(n) < 0, $"{Encoding.UTF8.GetString(n)} found in {file}");
    }

    private static void AssertRedacted(string input, List<(long Id, string Name, bool Ok)> expected)
    {
        var rows = E2E.QueryCsv(input, "SELECT id, name IS NULL, ok, json_extract_string(c.args, '$.name.not_captured') "
            + "FROM \"main.record\" r JOIN calls c USING (ts, pid, tid) ORDER BY ts");
        Assert.Equal(expected.Count, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(expected[i].Id, long.Parse(rows[i][0]));
            Assert.Equal("true", rows[i][1]);
            Assert.Equal(expected[i].Ok, bool.Parse(rows[i][2]));
            Assert.Equal("redacted", rows[i][3]);
        }
        // The plain-text dump of every table: no value there either (Parquet pages may be compressed, so grep alone is not proof).
        foreach (var table in new[] { "calls", "probes", "\"main.record\"" })
        {
            var dump = Tools.Run(Tools.Analyzer, ["query", input, $"SELECT * FROM {table}", "--format", "csv"]);
            Assert.True(dump.ExitCode == 0, dump.ToString());
            Assert.DoesNotContain(expected.First(c => c.Name.Length > 0).Name, dump.Stdout);
            foreach (var c in expected) Assert.DoesNotContain($"{c.Name},", dump.Stdout);
        }
    }

    [Fact]
    public void A_bundle_decodes_every_argument_after_the_binary_and_capture_are_deleted()
    {
        var (dir, cap, bin, expected) = Record(200 + Random.Shared.Next(100));
        var bundle = Bundle(cap);
        var moved = Path.Combine(Repo.NewTempDir("bundle-e2e-away"), "args");
        File.Copy(bin, moved);
        Directory.Delete(dir, recursive: true);
        File.Delete(moved);
        Assert.False(File.Exists(bin));

        var rows = E2E.QueryCsv(bundle, Select);
        Assert.Equal(expected.Count, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(expected[i].Id, long.Parse(rows[i][0]));
            Assert.Equal(expected[i].Name, rows[i][1]);
            Assert.Equal(expected[i].Ok, bool.Parse(rows[i][2]));
        }
        var info = Tools.Run(Tools.Analyzer, ["info", bundle]);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("(build-id matches)", info.Stdout);
        // The bundle's subset of the binary keeps .go.buildinfo: the toolchain is named with the originals gone.
        Assert.Matches(@"\(build-id matches\), built with go1\.\d+", info.Stdout);
        Assert.Contains("ended       cleanly", info.Stdout);
        Assert.Contains($"events      {expected.Count}", info.Stdout);
    }

    [Fact]
    public void Bundle_redaction_leaves_no_name_anywhere_and_keeps_id_and_ok()
    {
        var (_, cap, _, expected) = Record(150, []);
        var bundle = Bundle(cap, "--redact", "name");
        AssertNoName(bundle, expected.Select(c => c.Name));
        AssertRedacted(bundle, expected);
    }

    [Fact]
    public void Recorder_redaction_never_writes_the_names()
    {
        var (_, cap, _, expected) = Record(150, "--redact", "name");
        AssertNoName(cap, expected.Select(c => c.Name));
        AssertRedacted(cap, expected);
        var info = Tools.Run(Tools.Analyzer, ["info", cap]);
        Assert.Contains("name string (not captured: redacted)", info.Stdout);
        // The name's registers and dereference left the plan: the kernel never copied the bytes.
        Assert.Contains("plan   regs rax,rdi   stack 0 B   derefs -", info.Stdout);

        var typo = Tools.Run(Tools.Recorder, ["-o", cap + "-typo", "-p", "main.record", "-q", "--redact", "nmae", "--", Fixtures.BuildGo("args")]);
        Assert.NotEqual(0, typo.ExitCode);
        E2E.NoStackTrace(typo);
        Assert.Contains("--redact nmae", typo.Stderr);
    }

    [Fact]
    public void A_damaged_bundle_fails_in_one_line()
    {
        var (_, cap, _, _) = Record(20);
        var bundle = Bundle(cap);
        var bytes = File.ReadAllBytes(bundle);
        File.WriteAllBytes(bundle, bytes[..(bytes.Length * 2 / 3)]);
        foreach (var args in new[] { new[] { "info", bundle }, ["query", bundle, "SELECT 1"], ["convert", bundle] })
        {
            var r = Tools.Run(Tools.Analyzer, args);
            Assert.Equal(6, r.ExitCode);
            E2E.NoStackTrace(r);
            Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("corrupt Calltape bundle", r.Stderr);
        }
    }
}
