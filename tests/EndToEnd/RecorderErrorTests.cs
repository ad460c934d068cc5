using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>Bad input to the recorder gets one clear line and an exit code, never a stack trace.</summary>
public class RecorderErrorTests
{
    private static ToolResult Record(params string[] args) => Tools.Run(Tools.Recorder, args);

    private static string Out() => Path.Combine(Repo.NewTempDir("err"), "cap.ctape");

    private static void OneLineError(ToolResult r, int exitCode, string contains)
    {
        Assert.True(r.ExitCode == exitCode, r.ToString());
        E2E.NoStackTrace(r);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("calltape-record: error: ", lines[0]);
        Assert.Contains(contains, lines[0]);
    }

    [Fact]
    public void NoSuchBinary() => OneLineError(Record("-o", Out(), "-p", "main.f", "--exe", "/nonexistent/bin"), 3, "no such file");

    [Fact]
    public void NoSuchPid() => OneLineError(Record("-o", Out(), "-p", "main.f", "--pid", "999999999"), 3, "no such process");

    [Fact]
    public void NoSuchFunctionSuggestsNearestNames() =>
        OneLineError(Record("-o", Out(), "-p", "main.recrod", "--exe", Fixtures.BuildGo("args")), 3, "did you mean main.record");

    [Fact]
    public void NotRootIsRefused()
    {
        // setpriv (util-linux) drops to nobody with no capabilities, as an unprivileged user would run it.
        var r = Tools.Run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
            Tools.Recorder, "-o", "/tmp/never.ctape", "-p", "main.record", "--exe", Fixtures.BuildGo("args")]);
        OneLineError(r, 4, "needs root or CAP_SYS_ADMIN");
    }

    [Fact]
    public void TwoTargetsAreRefused() =>
        OneLineError(Record("-o", Out(), "-p", "main.record", "--exe", Fixtures.BuildGo("args"), "--pid", "1"), 2, "exactly one target");

    [Fact]
    public void ExistingOutputIsNotOverwritten()
    {
        var dir = Repo.NewTempDir("exists");
        File.WriteAllText(Path.Combine(dir, "keep"), "x");
        OneLineError(Record("-o", dir, "-p", "main.record", "--exe", Fixtures.BuildGo("args")), 2, "not empty");
        Assert.True(File.Exists(Path.Combine(dir, "keep")));
    }
}
