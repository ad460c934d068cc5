using System.Runtime.InteropServices;
using Calltape.Capture;

namespace Calltape.Recorder.Native;

/// <summary>P/Invoke declarations for libbpf.so.1 (1.1.2 on Debian 12), split by libbpf object across LibBpf.*.cs.</summary>
/// <remarks>
/// libbpf 1.x reports errors two ways (libbpf.h, "LIBBPF_STRICT_ALL" is the default since 1.0): functions returning
/// int give -errno; functions returning a pointer give NULL and set errno. Both become exceptions only in
/// <see cref="Check(int, string)"/> and <see cref="CheckPtr(nint, string)"/>.
/// </remarks>
internal static partial class LibBpf
{
    public const string Lib = "libbpf.so.1";

    /// <summary>Turns a negative errno result into an exception; returns non-negative results unchanged.</summary>
    public static int Check(int rc, string what)
    {
        if (rc >= 0) return rc;
        throw Error(-rc, what);
    }

    /// <summary>Turns a NULL pointer result (errno set) into an exception.</summary>
    public static nint CheckPtr(nint p, string what)
    {
        if (p != 0) return p;
        throw Error(Marshal.GetLastPInvokeError(), what);
    }

    private static Exception Error(int errno, string what)
    {
        var detail = LibBpfLog.LastError;
        var msg = $"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})" + (detail is null ? "" : $"; libbpf: {detail}");
        return errno switch
        {
            1 or 13 => new CalltapeException(msg + " — run as root, or with CAP_SYS_ADMIN (perf-event uprobes need it; uprobe_multi needs CAP_BPF+CAP_PERFMON)", ExitCodes.Permission),
            2 => new CalltapeException(msg, ExitCodes.NotFound),
            22 or 95 or 524 => new CalltapeException(msg + " — the kernel lacks a needed feature (uprobes, BPF ring buffer, attach cookies)", ExitCodes.Unsupported),
            _ => new CalltapeException(msg, ExitCodes.Failure),
        };
    }
}
