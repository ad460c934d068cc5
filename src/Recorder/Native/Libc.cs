using System.Runtime.InteropServices;

namespace Calltape.Recorder.Native;

/// <summary>The few libc calls the recorder needs beyond .NET's own.</summary>
internal static partial class Libc
{
    public const int ClockRealtime = 0;
    public const int ClockMonotonic = 1; // bpf_ktime_get_ns() reads CLOCK_MONOTONIC
    public const int SigCont = 18;
    public const int SigKill = 9;

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Sec;
        public long Nsec;
        public readonly long Ns => Sec * 1_000_000_000 + Nsec;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    public static partial int clock_gettime(int clock, out Timespec ts);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint geteuid();

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int close(int fd);

    public const int SigInt = 2;

    /// <summary>signal(2); only ever called with SIG_DFL (0).</summary>
    [LibraryImport("libc", EntryPoint = "signal")]
    public static partial nint signal(int sig, nint handler);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int kill(int pid, int sig);

    public static long Now(int clock)
    {
        clock_gettime(clock, out var ts);
        return ts.Ns;
    }
}
