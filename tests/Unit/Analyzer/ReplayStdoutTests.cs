using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>replay's buffered stdout behaves like any command's when redirected to a file the shell keeps writing.</summary>
public class ReplayStdoutTests
{
    [Fact]
    public void OutputRedirectedToAFileIsNotOverwrittenByWhatFollows()
    {
        var capture = SyntheticCapture.Create();
        var log = Path.Combine(Repo.NewTempDir("replay-out"), "log.txt");
        // The shell's next write lands at the file's shared offset: a positional writer would leave it pointing at 0.
        var r = Tools.Run("bash", ["-c", $"{{ echo begin; {Tools.Analyzer} replay {capture} --limit 5; echo end; }} > {log}"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = File.ReadAllLines(log);
        Assert.Equal("begin", lines[0]);
        Assert.Equal("end", lines[^1]);
        Assert.Equal(7, lines.Length);
    }
}
