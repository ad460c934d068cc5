using Calltape.Capture.Model;
using Calltape.Recorder.Bpf;
using Calltape.Recorder.Native;

namespace Calltape.Recorder.Session;

internal sealed partial class BpfProgram
{
    private const string MultiProgramName = "calltape_probe_multi";

    /// <summary>The fd of the program loaded for uprobe_multi links, or -1 when the kernel refused it.</summary>
    public int MultiProgramFd { get; }

    /// <summary>
    /// The attach cookie (bpf/calltape.h): the probe id, plus CT_COOKIE_REGS_ONLY when the plan copies no stack, walks no user stack and
    /// follows no pointer, so the BPF program can skip the plan lookup.
    /// </summary>
    public static ulong CookieOf(int id, CapturePlan plan)
    {
        var regsOnly = plan.StackLen == 0 && plan.Derefs.Count == 0 && plan.UserStack == 0;
        return (ulong)(uint)id | (regsOnly ? BpfLimits.CookieRegsOnly : 0);
    }

    /// <summary>
    /// Attaches every site of one binary with one uprobe_multi link (kernel >= 6.6); pid -1 means every process mapping
    /// it. Returns null when the kernel has no such link (EINVAL or EOPNOTSUPP), so the caller can use perf events.
    /// </summary>
    public BpfLinkFdHandle? TryAttachMulti(string binaryPath, ReadOnlySpan<ulong> fileOffsets, ReadOnlySpan<ulong> cookies, bool retprobe, int pid)
    {
        if (MultiProgramFd < 0) return null;
        var rc = BpfSyscall.LinkCreateUprobeMulti(MultiProgramFd, binaryPath, fileOffsets, cookies, retprobe, pid);
        if (rc is -Errno.Inval or -Errno.OpNotSupp) return null;
        var what = $"attaching {fileOffsets.Length} uprobes to {binaryPath} with one uprobe_multi link";
        return BpfLinkFdHandle.FromFd(LibBpf.Check(rc, what));
    }

    /// <summary>The errno values that mean "this kernel has no uprobe_multi link" (bpf_uprobe_multi_link_attach, kernel/trace/bpf_trace.c).</summary>
    private static class Errno
    {
        public const int Inval = 22;
        public const int OpNotSupp = 95;
    }
}
