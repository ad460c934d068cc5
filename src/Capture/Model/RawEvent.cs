namespace Calltape.Capture.Model;

/// <summary>The bytes of one dereference as recorded: complete, truncated (Want &gt; Data.Length) or failed (Error != 0).</summary>
public readonly record struct DerefData(byte[] Data, long Want, int Error)
{
    public bool Truncated => Error == 0 && Want > Data.Length;
}

/// <summary>One probe hit as read back from a chunk, before decoding.</summary>
/// <param name="Registers">The registers the probe's plan keeps, in the plan's order.</param>
/// <param name="Stack">The stack window, or null when the plan has none or it could not be read.</param>
public sealed record RawEvent(int Probe, ulong KtimeNs, uint Pid, uint Tid, ulong[] Registers, byte[]? Stack, DerefData[] Derefs)
{
    /// <summary>The user stack (calltape-record --stack), or null when the probe records none or this hit has none.</summary>
    public UserStack? UserStack { get; init; }
}

/// <summary>Per-probe, per-CPU hit and drop counters (struct ct_counters).</summary>
public readonly record struct LossCounter(int Probe, int Cpu, ulong Hits, ulong Drops);

/// <summary>How a recording ended; present only when the recorder finished cleanly.</summary>
public sealed record Trailer(ulong KtimeNs, string Reason, long Events);
