namespace Calltape.Capture.Model;

/// <summary>A binary that was traced, identified by its build-ids.</summary>
public sealed record BinaryInfo(string Path, string? GnuBuildId, string? GoBuildId, long Size, long MtimeUnixNs)
{
    /// <summary>The id analysis matches on: the GNU build-id, else the Go one.</summary>
    public string? Key => GnuBuildId ?? GoBuildId;
}

/// <summary>One simultaneous reading of CLOCK_MONOTONIC (BPF ktime) and CLOCK_REALTIME, to map ktime to wall time.</summary>
public readonly record struct ClockSync(long MonotonicNs, long RealtimeNs)
{
    public long ToWallNs(ulong ktimeNs) => RealtimeNs + ((long)ktimeNs - MonotonicNs);
}

/// <summary>Everything that describes a recording session; written as the manifest and at the head of every chunk.</summary>
public sealed record SessionHeader(
    int FormatVersion,
    string CaptureId,
    string Host,
    string Kernel,
    ClockSync Clock,
    IReadOnlyList<string> CommandLine,
    string Target,
    IReadOnlyList<BinaryInfo> Binaries,
    IReadOnlyList<ProbeSpec> Probes)
{
    /// <summary>The format's minor version as read (0 when the header has none); writers derive it from the probes.</summary>
    public int FormatMinor { get; init; }
}
