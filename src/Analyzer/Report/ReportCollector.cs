using Calltape.Analyzer.Replay;
using Calltape.Capture.Decoding;
using Calltape.Capture.Model;

namespace Calltape.Analyzer.Report;

/// <summary>How report groups a function's calls: not at all, by process, by thread, or by an argument's value.</summary>
internal abstract record Grouping
{
    public sealed record None : Grouping;
    public sealed record Pid : Grouping;
    public sealed record Tid : Grouping;
    public sealed record Arg(string Name) : Grouping;

    /// <summary>Parses --by: pid, tid or arg:NAME.</summary>
    public static Grouping? Parse(string? by) => by switch
    {
        null or "" => new None(),
        "pid" => new Pid(),
        "tid" => new Tid(),
        _ when by.StartsWith("arg:", StringComparison.Ordinal) && by.Length > 4 => new Arg(by[4..]),
        _ => null,
    };
}

/// <summary>Collects per-function statistics from the call tracker: counts, durations, and self time from the nesting.</summary>
/// <remarks>
/// Computed here rather than in DuckDB because self time needs each call's children on the same goroutine or thread,
/// and the tracker already follows goroutines by g pointer, which the converted tables do not carry.
/// </remarks>
internal sealed class ReportCollector(Grouping grouping) : ICallSink
{
    private readonly Dictionary<(string Function, string? Group), FunctionStats> _stats = [];

    /// <summary>Records seen per probe id, for completeness.</summary>
    public Dictionary<int, long> Events { get; } = [];

    public IEnumerable<FunctionStats> Stats => _stats.Values;

    public void Count(RawEvent ev) => Events[ev.Probe] = Events.GetValueOrDefault(ev.Probe) + 1;

    public void Single(CallFrame call) => For(call).AddUntimed();

    public void Enter(CallFrame call)
    {
        // Counted when it returns or is abandoned: only then is its duration known, or known to be missing.
    }

    public void Return(CallFrame call, RawEvent exit, ProbeSpec exitProbe) =>
        For(call).AddTimed((long)(exit.KtimeNs - call.Entry.KtimeNs), call.ChildNs);

    public void Abandon(CallFrame call) => For(call).AddUntimed();

    public void UnmatchedExit(RawEvent exit, ProbeSpec exitProbe)
    {
        // Its call began before the recording: no entry, so neither its arguments nor its duration are known.
    }

    private FunctionStats For(CallFrame call)
    {
        var group = grouping switch
        {
            Grouping.Pid => call.Entry.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Grouping.Tid => call.Entry.Tid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Grouping.Arg a => ArgValue(call, a.Name),
            _ => null,
        };
        var key = (call.Probe.Function, group);
        if (!_stats.TryGetValue(key, out var s)) _stats[key] = s = new FunctionStats(call.Probe.Function, group);
        return s;
    }

    private static string ArgValue(CallFrame call, string name)
    {
        var p = call.Probe.Params.FirstOrDefault(x => x.Name == name);
        return p is null ? "-" : ValueText.Value(ValueDecoder.DecodeParam(call.Probe, p, call.Entry));
    }
}
