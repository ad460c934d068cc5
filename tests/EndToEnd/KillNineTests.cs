using Xunit;
using Calltape.Tests.Support;
using Calltape.Symbols;

namespace Calltape.Tests.EndToEnd;

/// <summary>After kill -9 of the recorder no probe is left in the kernel, and the capture reads up to the last flush.</summary>
public class KillNineTests
{
    [Fact]
    public void NoProbeRemainsAndTheCaptureIsReadable()
    {
        using var server = new EServer();
        var elf = ElfImage.Open(EServer.Binary);
        var fn = elf.FindFunction("main.computeE")!;
        var (probeOffset, _) = GoPrologue.FindProbePoint(elf.ReadCode(fn.Address, (int)Math.Min(fn.Size, 64)), fn.Address);
        // Go executables are not position-independent by default: the symbol's vaddr is its address in the process.
        var addr = fn.Address + (ulong)probeOffset;
        var original = ReadByte(server.Process.Id, addr);
        Assert.NotEqual(0xCC, original);

        var dir = Path.Combine(Repo.NewTempDir("kill9"), "cap.ctape");
        using var rec = new BackgroundRecorder(["-o", dir, "-p", "main.computeE", "--pid", server.Process.Id.ToString(), "-q"]);
        rec.WaitAttached();
        // A uprobe is an int3 written into the traced process's copy of the text page.
        Assert.Equal(0xCC, ReadByte(server.Process.Id, addr));
        for (var i = 1; i <= 40; i++) server.ComputeE(i);
        Thread.Sleep(1500); // past one flush period
        rec.Signal(9);
        rec.Process.WaitForExit();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (ReadByte(server.Process.Id, addr) == 0xCC && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.Equal(original, ReadByte(server.Process.Id, addr));
        server.ComputeE(7); // the traced process carries on untouched

        var info = Tools.Run(Tools.Analyzer, ["info", dir]);
        Assert.True(info.ExitCode == 0, info.ToString());
        E2E.NoStackTrace(info);
        var rows = E2E.QueryCsv(dir, "SELECT count(*) FROM \"main.computeE\"");
        Assert.Equal("40", rows[0][0]);
    }

    private static byte ReadByte(int pid, ulong addr)
    {
        using var mem = new FileStream($"/proc/{pid}/mem", FileMode.Open, FileAccess.Read);
        mem.Seek((long)addr, SeekOrigin.Begin);
        return (byte)mem.ReadByte();
    }
}
