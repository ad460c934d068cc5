using System.Globalization;
using Calltape.Capture;
using Calltape.Capture.Model;

namespace Calltape.Analyzer.Replay;

/// <summary>Parses --since/--until: a time relative to the capture start (1.5s, 200ms, 30us, 10ns, 2m) or a wall clock.</summary>
internal static class TimeArgument
{
    /// <summary>The ktime (CLOCK_MONOTONIC ns) the argument names; the start is the recorder's clock reading.</summary>
    public static ulong ToKtime(string text, string option, ClockSync clock)
    {
        var s = text.Trim();
        foreach (var (suffix, scale) in Units)
        {
            if (!s.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var number = s[..^suffix.Length];
            if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && double.IsFinite(v))
                return (ulong)(clock.MonotonicNs + (long)(v * scale));
            break;
        }
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var wall))
        {
            var wallNs = (wall.UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
            var k = clock.MonotonicNs + (wallNs - clock.RealtimeNs);
            return k < 0 ? 0 : (ulong)k;
        }
        throw new CalltapeException(
            $"{option} {text}: not a time (write a time from the capture start like 1.5s, 200ms, 30us, or a wall clock like 2026-11-25T09:30:00Z)",
            ExitCodes.BadInput);
    }

    // Longest suffixes first, so "ms" is not read as "s".
    private static readonly (string Suffix, double Scale)[] Units =
        [("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9)];
}
