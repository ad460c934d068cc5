using System.Globalization;
using Calltape.Capture;
using Calltape.Recorder.Native;

namespace Calltape.Recorder.Session;

/// <summary>Checks privileges and kernel features before anything is loaded, so failures read as one clear line.</summary>
internal static class Preflight
{
    private const int CapSysAdmin = 21; // include/uapi/linux/capability.h

    public static void Check()
    {
        if (Libc.geteuid() != 0 && !HasCapability(CapSysAdmin))
            throw new CalltapeException(
                "calltape-record needs root or CAP_SYS_ADMIN: attaching perf-event uprobes requires it on this kernel (try sudo)",
                ExitCodes.Permission);
        if (!File.Exists("/sys/bus/event_source/devices/uprobe/type"))
            throw new CalltapeException("this kernel has no uprobe PMU (/sys/bus/event_source/devices/uprobe missing: CONFIG_UPROBE_EVENTS)", ExitCodes.Unsupported);
        if (!File.Exists("/sys/kernel/btf/vmlinux") && !Directory.Exists("/sys/fs/bpf"))
            throw new CalltapeException("this kernel has no BPF support visible (/sys/fs/bpf missing)", ExitCodes.Unsupported);
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
