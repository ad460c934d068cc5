using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>A real capture cut at a random byte reads up to the cut; random bytes get one clear error.</summary>
public class BadCaptureTests
{
    private static readonly Lazy<(string Dir, int Calls)> Recorded = new(() =>
    {
        var dir = Path.Combine(Repo.NewTempDir("bad-src"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-p", "main.record", "-q", "--", Fixtures.BuildGo("args"), "-n", "2000"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return (dir, 2000);
    });

    [Fact]
    public void CutAtRandomBytesReadsUpToTheCut()
    {
        var (src, calls) = Recorded.Value;
        var chunk = Directory.GetFiles(src, "chunk-*.ctc").Single();
        var size = new FileInfo(chunk).Length;
        var previous = -1L;
        foreach (var cut in new[] { size / 3, size / 2 + Random.Shared.Next(1000), size - 1 - Random.Shared.Next(50) }.Order())
        {
            var dir = Path.Combine(Repo.NewTempDir("cut"), "cap.ctape");
            Directory.CreateDirectory(dir);
            File.Copy(Path.Combine(src, "manifest.msgpack"), Path.Combine(dir, "manifest.msgpack"));
            File.WriteAllBytes(Path.Combine(dir, Path.GetFileName(chunk)), File.ReadAllBytes(chunk).AsSpan(0, (int)cut).ToArray());

            var r = Tools.Run(Tools.Analyzer, ["query", dir, "SELECT count(*) FROM calls", "--format", "csv"]);
            Assert.True(r.ExitCode == 0, r.ToString());
            E2E.NoStackTrace(r);
            Assert.Contains("warning", r.Stderr);
            var n = long.Parse(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1]);
            Assert.InRange(n, previous, calls);
            previous = n;

            var info = Tools.Run(Tools.Analyzer, ["info", dir]);
            Assert.True(info.ExitCode == 0, info.ToString());
            Assert.Contains("cut", info.Stdout + info.Stderr);
        }
        Assert.True(previous > 0);
    }

    [Fact]
    public void RandomBytesGetOneClearError()
    {
        var dir = Repo.NewTempDir("random");
        var bytes = new byte[4096];
        Random.Shared.NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(dir, "manifest.msgpack"), bytes);
        File.WriteAllBytes(Path.Combine(dir, "chunk-000000.ctc"), bytes);
        var file = Path.Combine(dir, "random.bin");
        File.WriteAllBytes(file, bytes);
        foreach (var target in new[] { dir, file })
        {
            foreach (var verb in new[] { "info", "convert" })
            {
                var r = Tools.Run(Tools.Analyzer, [verb, target]);
                Assert.NotEqual(0, r.ExitCode);
                E2E.NoStackTrace(r);
                var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Single(lines);
                Assert.Contains("not a Calltape capture", lines[0]);
            }
        }
    }
}
