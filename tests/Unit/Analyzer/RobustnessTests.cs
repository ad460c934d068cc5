using System.Diagnostics;
using Calltape.Capture;
using Calltape.Capture.Format;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

public class RobustnessTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void A_cut_capture_converts_up_to_the_cut_with_one_warning(int seed)
    {
        var dir = Path.Combine(Repo.NewTempDir("cut"), "cut.ctape");
        SyntheticCapture.CreateLarge(dir, 40_000, chunkSize: 4096); // chunks rotate per 256 KB spill
        var chunks = Directory.GetFiles(dir, "chunk-*.ctc").Order(StringComparer.Ordinal).ToArray();
        Assert.True(chunks.Length > 2);
        var headerLen = HeaderLength(dir);
        // The last chunk holding records (the writer may leave a header-only chunk after it).
        var lastChunk = chunks.Last(c => new FileInfo(c).Length > headerLen + 64);
        foreach (var later in chunks.SkipWhile(c => c != lastChunk).Skip(1)) File.Delete(later);
        var bytes = File.ReadAllBytes(lastChunk);
        var cut = new Random(seed).Next(headerLen + 1, bytes.Length - 1);
        File.WriteAllBytes(lastChunk, bytes[..cut]);

        // What the reader recovers is the reference: every whole record before the cut.
        var reader = CaptureReader.Open(dir);
        var expected = reader.Events().LongCount();
        Assert.Null(reader.Trailer);

        var r = Cli.Run("convert", dir);
        Assert.Equal(0, r.Code);
        var torn = Assert.Single(r.ErrLines, l => !l.StartsWith("warning: binary ", StringComparison.Ordinal));
        Assert.StartsWith("warning: ", torn);
        Assert.Contains($"converted {expected:N0} events", r.Out);
        Assert.Equal(expected, Cli.Sql($"SELECT count(*) FROM {Cli.Pq(dir + ".parquet", "calls.parquet")}")[0][0]);

        var info = Cli.Run("info", dir);
        Assert.Equal(0, info.Code);
        Assert.Single(info.ErrLines);
        Assert.Contains("CUT", info.Out);
    }

    [Fact]
    public void Random_bytes_as_a_capture_file_or_directory_fail_in_one_line()
    {
        var tmp = Repo.NewTempDir("junk");
        var rng = new Random(7);
        var junkFile = Path.Combine(tmp, "junk.bin");
        File.WriteAllBytes(junkFile, RandomBytes(rng, 4096));
        var junkManifest = Path.Combine(tmp, "m.ctape");
        Directory.CreateDirectory(junkManifest);
        File.WriteAllBytes(Path.Combine(junkManifest, CaptureFormat.ManifestFile), RandomBytes(rng, 4096));
        var junkChunk = Path.Combine(tmp, "c.ctape");
        Directory.CreateDirectory(junkChunk);
        File.WriteAllBytes(Path.Combine(junkChunk, CaptureFormat.ChunkName(0)), RandomBytes(rng, 4096));
        var emptyDir = Path.Combine(tmp, "empty");
        Directory.CreateDirectory(emptyDir);

        foreach (var input in new[] { junkFile, junkManifest, junkChunk, emptyDir, Path.Combine(tmp, "missing") })
        {
            Assert.Throws<CalltapeException>(() => global::Calltape.Analyzer.Commands.InfoCommand.Run(input, null, TextWriter.Null, TextWriter.Null));
            foreach (var verb in new[] { new[] { "info", input }, new[] { "convert", input }, new[] { "query", input, "SELECT 1" } })
            {
                var r = Cli.Run(verb);
                Assert.NotEqual(0, r.Code);
                Assert.NotEqual(70, r.Code);
                Assert.Single(r.ErrLines);
                Assert.StartsWith("calltape: error: ", r.ErrLines[0]);
            }
        }
    }

    [Fact]
    public void Unknown_verb_or_missing_argument_is_a_usage_error()
    {
        var r = Cli.Run("frobnicate");
        Assert.Equal(2, r.Code);
        Assert.StartsWith("calltape: error: ", r.ErrLines[0]);
        Assert.Equal(2, Cli.Run("query").Code);
        Assert.Equal(2, Cli.Run("query", "x", "SELECT 1", "--format", "xml").Code);
    }

    [Fact]
    public void The_executable_exits_with_the_error_code_and_no_stack_trace()
    {
        var tmp = Repo.NewTempDir("exe");
        var junk = Path.Combine(tmp, "junk.bin");
        File.WriteAllBytes(junk, RandomBytes(new Random(3), 1000));
        var (code, stdout, stderr) = RunExe("convert", junk);
        Assert.Equal(ExitCodes.CorruptCapture, code);
        Assert.Equal("", stdout);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Matches("^calltape: error: .*\n$", stderr);

        var cap = SyntheticCapture.Create();
        var ok = RunExe("query", cap, "SELECT count(*) AS n FROM calls", "--format", "csv");
        Assert.Equal(0, ok.Code);
        Assert.Equal("n\n15\n", ok.Out);
    }

    private static (int Code, string Out, string Err) RunExe(params string[] args)
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "calltape");
        var psi = File.Exists(exe) ? new ProcessStartInfo(exe) : new ProcessStartInfo("dotnet") { ArgumentList = { Path.Combine(AppContext.BaseDirectory, "calltape.dll") } };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "calltape did not exit within 60 s");
        return (p.ExitCode, o.Result, e.Result);
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }

    /// <summary>The size of a chunk's leading header item: a cut inside it is a different (non-torn) failure.</summary>
    private static int HeaderLength(string dir) => (int)new FileInfo(Path.Combine(dir, CaptureFormat.ManifestFile)).Length + 2;
}
