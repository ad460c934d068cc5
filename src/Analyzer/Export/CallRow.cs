using System.Data.Common;

namespace Calltape.Analyzer.Export;

/// <summary>One call read from <see cref="CallSource.View"/> in the order of <see cref="CallSource.Columns"/>.</summary>
internal readonly record struct CallRow(long Ts, long Ktime, uint Pid, uint Tid, long? Goid, int ProbeId, string Function,
    string? BuildId, string Args, long? DurationNs, string? Ret)
{
    public static CallRow Read(DbDataReader r) => new(
        r.GetInt64(0),
        r.GetInt64(1),
        Convert.ToUInt32(r.GetValue(2)),
        Convert.ToUInt32(r.GetValue(3)),
        r.IsDBNull(4) ? null : r.GetInt64(4),
        r.GetInt32(5),
        r.GetString(6),
        r.IsDBNull(7) ? null : r.GetString(7),
        r.GetString(8),
        r.IsDBNull(9) ? null : r.GetInt64(9),
        r.IsDBNull(10) ? null : r.GetString(10));

    /// <summary>The track a call belongs on: its goroutine when known (Go pairs by goroutine, which can change threads
    /// within a call), else its thread.</summary>
    public Track Track => Goid is { } g ? new Track(Pid, g, true) : new Track(Pid, Tid, false);
}

/// <summary>A thread or goroutine of a process: what a Perfetto track and a folded-stack nesting are per.</summary>
internal readonly record struct Track(uint Pid, long Id, bool Goroutine);
