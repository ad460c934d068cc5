using System.IO.Compression;
using System.Text;
using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>calltape bundle on synthetic captures: portability, redaction, SUMMARY.md and damaged bundles.</summary>
public class BundleTests
{
    private static readonly string[] LookupNames = ["alice", "héllo \"q\"", new string('x', 64)];

    /// <summary>A capture whose binary is a real ELF copy (so it can be bundled by build-id), and that copy's path.</summary>
    private static (string Capture, string Binary) CaptureWithBinary()
    {
        var dir = Repo.NewTempDir("bundle-src");
        var bin = Path.Combine(dir, "calc");
        File.Copy("/bin/true", bin);
        var elf = ElfImage.Open(bin);
        Assert.NotNull(elf.GnuBuildId);
        var cap = SyntheticCapture.Create(Path.Combine(dir, "incident.ctape"), SyntheticCapture.Header(bin, elf.GnuBuildId, null));
        return (cap, bin);
    }

    private static string Bundle(string capture, params string[] extra)
    {
        var outFile = Path.Combine(Repo.NewTempDir("bundle-out"), "bug-1234.ctape");
        var r = Cli.Run(["bundle", capture, "-o", outFile, .. extra]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("bundled", r.Out);
        return outFile;
    }

    [Fact]
    public void A_bundle_answers_queries_and_info_after_the_capture_and_binary_are_deleted()
    {
        var (cap, bin) = CaptureWithBinary();
        var expected = Cli.Run("query", cap, "SELECT id, name, ok FROM \"main.lookup\" ORDER BY ts", "-f", "csv");
        Assert.Equal(0, expected.Code);
        var bundle = Bundle(cap);
        Directory.Delete(Path.GetDirectoryName(cap)!, recursive: true);
        Assert.False(File.Exists(bin));

        var q = Cli.Run("query", bundle, "SELECT id, name, ok FROM \"main.lookup\" ORDER BY ts", "-f", "csv");
        Assert.True(q.Code == 0, q.Err);
        Assert.Equal(expected.Out, q.Out);
        Assert.Equal("", q.Err); // the Parquet inside the bundle is used as is

        var info = Cli.Run("info", bundle);
        Assert.True(info.Code == 0, info.Err);
        Assert.Contains("bundle      extracted to", info.Out);
        Assert.Contains("(build-id matches)", info.Out); // verified against the binary inside the bundle
        Assert.Contains("cleanly: target exited", info.Out);

        var conv = Cli.Run("convert", bundle, "-o", Path.Combine(Repo.NewTempDir("bundle-conv"), "pq"));
        Assert.True(conv.Code == 0, conv.Err);
        Assert.Contains("converted 15 events", conv.Out);
    }

    [Fact]
    public void Redacted_values_appear_nowhere_in_the_bundle()
    {
        var (cap, _) = CaptureWithBinary();
        var bundle = Bundle(cap, "--redact", "name");
        using (var zip = ZipFile.OpenRead(bundle))
        {
            Assert.Equal("calltape-bundle.json", zip.Entries[0].FullName);
            foreach (var e in zip.Entries)
            {
                using var s = e.Open();
                using var ms = new MemoryStream();
                s.CopyTo(ms);
                var bytes = ms.ToArray();
                foreach (var name in LookupNames)
                    Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(name)) < 0, $"{name} found in {e.FullName}");
            }
        }

        var rows = Cli.Run("query", bundle, "SELECT id, name IS NULL AS gone, ok, json_extract_string(c.args, '$.name.not_captured') AS why FROM \"main.lookup\" l "
            + "JOIN calls c ON c.ts = l.ts AND c.function = 'main.lookup' ORDER BY l.ts", "-f", "csv");
        Assert.True(rows.Code == 0, rows.Err);
        Assert.Equal("id,gone,ok,why\n"
            + "7,true,true,redacted\n-3,true,false,redacted\n9,true,true,redacted\n10,true,false,redacted\n11,true,true,redacted\n", rows.Out);
        // Parquet pages may be compressed, so the raw grep above is backed by a plain dump of every table.
        foreach (var table in new[] { "calls", "probes", "binaries", "loss", "\"main.lookup\"", "\"main.computeE\"" })
        {
            var dump = Cli.Run("query", bundle, $"SELECT * FROM {table}", "-f", "csv");
            Assert.True(dump.Code == 0, dump.Err);
            Assert.DoesNotContain("alice", dump.Out);
            Assert.DoesNotContain("xxxxxxxx", dump.Out);
        }
        var info = Cli.Run("info", bundle);
        Assert.Contains("name string (not captured: redacted)", info.Out);
        Assert.Contains("redacted: name", info.Out);
    }

    [Fact]
    public void Redaction_by_regex_and_a_typo_in_an_exact_name_is_an_error()
    {
        var cap = SyntheticCapture.Create();
        var bundle = Bundle(cap, "--redact", "/^(na|ok)/");
        var q = Cli.Run("query", bundle, "SELECT count(*) FROM \"main.lookup\" WHERE name IS NULL AND ok IS NULL AND id IS NOT NULL", "-f", "csv");
        Assert.Equal("count_star()\n5\n", q.Out);

        var outFile = Path.Combine(Repo.NewTempDir("bundle-typo"), "b.ctape");
        var r = Cli.Run("bundle", cap, "-o", outFile, "--redact", "nmae");
        Assert.Equal(2, r.Code);
        Assert.Single(r.ErrLines);
        Assert.Contains("--redact nmae: no probed function has a parameter of that name", r.Err);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(outFile)!)); // no bundle, no staging left behind
    }

    [Fact]
    public void Summary_says_what_where_when_how_much_and_how_to_open_it()
    {
        var cap = SyntheticCapture.Create();
        var bundle = Bundle(cap, "--redact", "name");
        using var zip = ZipFile.OpenRead(bundle);
        using var reader = new StreamReader(zip.GetEntry("SUMMARY.md")!.Open());
        var md = reader.ReadToEnd();
        Assert.Contains("# Calltape capture `cap-0001`", md);
        Assert.Contains("host `testhost`, kernel `6.18.0-test`", md);
        Assert.Contains("- **when**: 2023-11-14T22:13:20.000001100Z to 2023-11-14T22:13:20.000002500Z (1.4 µs)", md);
        Assert.Contains("- **events**: 15", md);
        Assert.Contains("- **losses**: 2 of 17 hits dropped (11.76%)", md);
        Assert.Contains("- **ended**: cleanly (target exited)", md);
        Assert.Contains("- **redacted**: `name`", md);
        Assert.Contains("not included: not found on the bundling machine", md);
        Assert.Contains("| `main.computeE` | 10 |\n| `main.lookup` | 5 |", md.ReplaceLineEndings("\n"));
        Assert.Contains("calltape info bug-1234.ctape", md);
        Assert.Contains("calltape query bug-1234.ctape", md);
    }

    [Fact]
    public void Damaged_or_foreign_bundles_fail_in_one_line()
    {
        var cap = SyntheticCapture.Create();
        var bundle = Bundle(cap);
        var bytes = File.ReadAllBytes(bundle);
        var dir = Repo.NewTempDir("bundle-bad");

        var truncated = Path.Combine(dir, "truncated.ctape");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var flipped = Path.Combine(dir, "flipped.ctape");
        var copy = (byte[])bytes.Clone();
        // Damage a stretch, not one byte: a single byte can land on a local-header field no reader checks (the flags).
        for (var i = bytes.Length / 3; i < bytes.Length / 2; i += 50) copy[i] ^= 0x55;
        File.WriteAllBytes(flipped, copy);
        var foreign = Path.Combine(dir, "foreign.zip");
        using (var z = ZipFile.Open(foreign, ZipArchiveMode.Create))
            using (var w = new StreamWriter(z.CreateEntry("hello.txt").Open())) w.Write("hi");
        var text = Path.Combine(dir, "notes.txt");
        File.WriteAllText(text, "not a capture");

        foreach (var (file, message) in new[]
        {
            (truncated, "corrupt Calltape bundle"), (flipped, "corrupt Calltape bundle"),
            (foreign, "not a Calltape bundle"), (text, "not a Calltape capture or bundle"),
        })
            foreach (var verb in new[] { "info", "query" })
            {
                var r = verb == "info" ? Cli.Run("info", file) : Cli.Run("query", file, "SELECT 1");
                Assert.True(r.Code == 6, $"{file} {verb}: {r.Code} {r.Err}");
                Assert.Single(r.ErrLines);
                Assert.Contains(message, r.Err);
            }
    }

    [Fact]
    public void A_cut_capture_stays_cut_through_a_redacted_bundle()
    {
        var cap = SyntheticCapture.Create(complete: false);
        var bundle = Bundle(cap, "--redact", "id");
        var info = Cli.Run("info", bundle);
        Assert.True(info.Code == 0, info.Err);
        Assert.Contains("ended       CUT", info.Out);
        Assert.Contains("events      15", info.Out);
        Assert.Contains("drops 2 (16.67% lost)", info.Out); // the final counters survive the rewrite
        using var zip = ZipFile.OpenRead(bundle);
        using var md = new StreamReader(zip.GetEntry("SUMMARY.md")!.Open());
        Assert.Contains("- **ended**: CUT", md.ReadToEnd());
    }

    [Fact]
    public void Bundling_over_an_existing_file_is_refused()
    {
        var cap = SyntheticCapture.Create();
        var bundle = Bundle(cap);
        var r = Cli.Run("bundle", cap, "-o", bundle);
        Assert.Equal(2, r.Code);
        Assert.Contains("exists", r.Err);
    }
}
