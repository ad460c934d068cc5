using System.Runtime.InteropServices;

namespace Calltape.Recorder.Native;

/// <summary>The bpf(2) commands libbpf 1.1.2 has no wrapper for, called through libc's syscall(3).</summary>
/// <remarks>
/// Results follow libbpf's int convention (a new fd, or -errno) so that <see cref="LibBpf.Check(int, string)"/> stays the
/// one place a failure becomes an exception, and callers can test for a specific errno before that.
/// </remarks>
internal static unsafe partial class BpfSyscall
{
    private const long SysBpf = 321;              // __NR_bpf on x86-64 (arch/x86/entry/syscalls/syscall_64.tbl)
    private const long BpfLinkCreate = 28;        // enum bpf_cmd BPF_LINK_CREATE (uapi linux/bpf.h)
    public const uint TraceUprobeMulti = 48;      // enum bpf_attach_type BPF_TRACE_UPROBE_MULTI (kernel >= 6.6; the 6.1 uapi here lacks it)
    public const uint UprobeMultiReturn = 1;      // BPF_F_UPROBE_MULTI_RETURN

    /// <summary>union bpf_attr for BPF_LINK_CREATE with the uprobe_multi member (layout in FACTS.md, "libbpf 1.1.2").</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    private struct UprobeMultiLinkAttr
    {
        [FieldOffset(0)] public int ProgFd;
        [FieldOffset(4)] public int TargetFd;
        [FieldOffset(8)] public uint AttachType;
        [FieldOffset(12)] public uint Flags;
        [FieldOffset(16)] public ulong Path;
        [FieldOffset(24)] public ulong Offsets;
        [FieldOffset(32)] public ulong RefCtrOffsets;
        [FieldOffset(40)] public ulong Cookies;
        [FieldOffset(48)] public uint Count;
        [FieldOffset(52)] public uint MultiFlags;
        [FieldOffset(56)] public uint Pid;
    }

    /// <summary>
    /// Creates one uprobe_multi link attaching a program at every file offset of one binary, each with its cookie.
    /// pid 0 traces every process mapping the file. Returns the link fd, or -errno.
    /// </summary>
    public static int LinkCreateUprobeMulti(int progFd, string path, ReadOnlySpan<ulong> offsets, ReadOnlySpan<ulong> cookies, bool retprobe, int pid)
    {
        if (offsets.Length != cookies.Length || offsets.IsEmpty)
            throw new ArgumentException("one cookie per offset, at least one offset");
        var pathBytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = pathBytes)
        fixed (ulong* o = offsets)
        fixed (ulong* c = cookies)
        {
            var attr = new UprobeMultiLinkAttr
            {
                ProgFd = progFd,
                AttachType = TraceUprobeMulti,
                Path = (ulong)p,
                Offsets = (ulong)o,
                Cookies = (ulong)c,
                Count = (uint)offsets.Length,
                MultiFlags = retprobe ? UprobeMultiReturn : 0,
                Pid = (uint)Math.Max(0, pid),
            };
            var rc = syscall(SysBpf, BpfLinkCreate, &attr, sizeof(UprobeMultiLinkAttr));
            return rc >= 0 ? (int)rc : -Marshal.GetLastPInvokeError();
        }
    }

    // long syscall(long number, ...): variadic, but every argument here is an integer or pointer, which the x86-64
    // SysV convention passes exactly as for a prototyped call (psABI §3.5.7; glibc's syscall is plain assembly).
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall(long number, long cmd, void* attr, long size);
}
