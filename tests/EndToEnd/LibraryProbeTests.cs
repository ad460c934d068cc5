using System.Diagnostics;
using Xunit;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>-p libc.so.6:malloc: a shared-library function, found through the target's maps or ldconfig's cache.</summary>
public class LibraryProbeTests
{
    [Fact]
    public void LaunchModeRecordsEveryMallocTheProgramPrinted()
    {
        var bin = CFixtures.Build("mallocs", "-O0 -g");
        var dir = Path.Combine(Repo.NewTempDir("libc"), "cap.ctape");
        var r = Tools.Run(Tools.Recorder, ["-o", dir, "-p", "libc.so.6:malloc", "-q", "--", bin, "30"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        AssertPrintedSizesRecorded(dir, r.Stdout, 30);
        var binaries = E2E.QueryCsv(dir, "SELECT path FROM binaries ORDER BY 1");
        Assert.Contains(binaries, b => b[0].EndsWith("/libc.so.6", StringComparison.Ordinal));
    }

    [Fact]
    public void PidModeFindsTheLibraryInTheProcessMaps()
    {
        var bin = CFixtures.Build("mallocs", "-O0 -g");
        var dir = Path.Combine(Repo.NewTempDir("libc-pid"), "cap.ctape");
        using var target = Process.Start(new ProcessStartInfo(bin, "25 3") { RedirectStandardOutput = true, UseShellExecute = false })!;
        using (var rec = new BackgroundRecorder(["-o", dir, "-p", "libc.so.6:malloc", "-q", "--pid", target.Id.ToString()]))
        {
            rec.WaitAttached();
            var stdout = target.StandardOutput.ReadToEnd();
            target.WaitForExit();
            Assert.True(rec.Process.WaitForExit(TimeSpan.FromSeconds(30)), rec.Stderr);
            Assert.Equal(0, rec.Process.ExitCode);
            AssertPrintedSizesRecorded(dir, stdout, 25);
        }
    }

    [Fact]
    public void UnknownLibraryIsOneLineError()
    {
        var r = Tools.Run(Tools.Recorder, ["-o", Path.Combine(Repo.NewTempDir("nolib"), "cap.ctape"), "-p", "libnope.so.9:f", "--exe", "/bin/true"]);
        Assert.True(r.ExitCode == 3, r.ToString());
        E2E.NoStackTrace(r);
        Assert.Equal("calltape-record: error: shared library 'libnope.so.9' is not in the ldconfig cache: give its path", r.Stderr.Trim());
    }

    /// <summary>libc itself calls malloc too (stdio buffers): the printed sizes must appear in order among the calls.</summary>
    private static void AssertPrintedSizesRecorded(string dir, string stdout, int calls)
    {
        var printed = CFixtures.ParseCalls(stdout).Select(c => ulong.Parse(c.Fields["size"])).ToList();
        Assert.Equal(calls, printed.Count);
        // With libc's debug file installed (libc6-dbg, found by build-id) the size has its DWARF name; else it is arg0.
        var libc = Calltape.Symbols.ElfImage.Open(Calltape.Recorder.Planning.LibraryProbe.Locate("libc.so.6", null));
        var malloc = Calltape.Symbols.DwarfReader.Load(libc)?.FindFunction("malloc", libc.FindFunction("malloc")!.Address);
        var column = malloc?.Params.FirstOrDefault()?.Name ?? "arg0";
        var recorded = E2E.QueryCsv(dir, $"SELECT \"{column}\" FROM \"malloc\" ORDER BY ts").Select(x => ulong.Parse(x[0])).ToList();
        var next = 0;
        foreach (var size in recorded)
            if (next < printed.Count && size == printed[next]) next++;
        Assert.True(next == printed.Count, $"found {next} of {printed.Count} sizes in order among {recorded.Count} malloc calls: {string.Join(' ', recorded)}");
    }
}
