using System.Globalization;
using Calltape.Capture;
using Calltape.Recorder.Native;

namespace Calltape.Recorder.Session;

/// <summary>Checks privileges and kernel features before anything is loaded, so failures read as one clear line.</summary>
internal static class Preflight
{
    // include/uapi/linux/capability.h
    private const int CapSysAdmin = 21;
    private const int CapPerfmon = 38;
    private const int CapBpf = 39;

    public static void Check()
    {
        // perf-event uprobes need CAP_SYS_ADMIN on this kernel; the uprobe_multi link (kernel >= 6.6) needs only
        // CAP_BPF + CAP_PERFMON (FACTS.md, "Kernel and privileges"). Which one attaches is decided at attach time.
        if (Libc.geteuid() != 0 && !HasCapability(CapSysAdmin) && !(HasCapability(CapBpf) && HasCapability(CapPerfmon) && KernelHasUprobeMulti()))
            throw new CalltapeException(
                "calltape-record needs root or CAP_SYS_ADMIN, or CAP_BPF+CAP_PERFMON on a kernel with uprobe_multi (6.6 or later) (try sudo)",
                ExitCodes.Permission);
        if (!File.Exists("/sys/bus/event_source/devices/uprobe/type"))
            throw new CalltapeException("this kernel has no uprobe PMU (/sys/bus/event_source/devices/uprobe missing: CONFIG_UPROBE_EVENTS)", ExitCodes.Unsupported);
        if (!File.Exists("/sys/kernel/btf/vmlinux") && !Directory.Exists("/sys/fs/bpf"))
            throw new CalltapeException("this kernel has no BPF support visible (/sys/fs/bpf missing)", ExitCodes.Unsupported);
    }

    /// <summary>The uprobe_multi link arrived in Linux 6.6 (commit 89ae89f53d20, "bpf: Add multi uprobe link").</summary>
    private static bool KernelHasUprobeMulti()
    {
        var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var parts = release.Split('.', '-');
        return parts.Length >= 2 && int.TryParse(parts[0], out var major) && int.TryParse(parts[1], out var minor)
            && (major > 6 || (major == 6 && minor >= 6));
    }

    private static bool HasCapability(int cap)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("CapEff:", StringComparison.Ordinal)) continue;
            var mask = ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return (mask & (1UL << cap)) != 0;
        }
        return false;
    }
}
