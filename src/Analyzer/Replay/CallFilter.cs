using System.Text.RegularExpressions;
using Calltape.Capture.Model;

namespace Calltape.Analyzer.Replay;

/// <summary>Which calls replay shows: by function glob, process, thread, entry time, and the --where match set.</summary>
/// <param name="Function">Matches the function name (from a glob), or null for all.</param>
/// <param name="SinceKtime">Calls entered before this ktime are hidden.</param>
/// <param name="UntilKtime">Calls entered at or after this ktime are hidden (and the replay stops there).</param>
/// <param name="Where">(wall ns, pid, tid) of the calls the --where predicate selected, or null when not given.</param>
internal sealed record CallFilter(Regex? Function, uint? Pid, uint? Tid, ulong SinceKtime, ulong UntilKtime,
    IReadOnlySet<(long Ts, uint Pid, uint Tid)>? Where, ClockSync Clock)
{
    public static CallFilter All(ClockSync clock) => new(null, null, null, 0, ulong.MaxValue, null, clock);

    /// <summary>A shell-style glob (* any run, ? one character) anchored at both ends, as a regex.</summary>
    public static Regex Glob(string glob) =>
        new("^" + Regex.Escape(glob).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.CultureInvariant);

    /// <summary>Whether a call entered by this record is shown.</summary>
    public bool Matches(ProbeSpec probe, RawEvent entry) =>
        Shows(probe, entry) && (Where is null || Where.Contains((Clock.ToWallNs(entry.KtimeNs), entry.Pid, entry.Tid)));

    /// <summary>The filters that need no argument values: what a return without its entry is judged by.</summary>
    public bool Shows(ProbeSpec probe, RawEvent ev) =>
        ev.KtimeNs >= SinceKtime && ev.KtimeNs < UntilKtime
        && (Pid is null || ev.Pid == Pid) && (Tid is null || ev.Tid == Tid)
        && (Function is null || Function.IsMatch(probe.Function));
}
