namespace Calltape.Analyzer.Report;

/// <summary>The calls of one function (in one group): how many, and the durations and self times of those that returned.</summary>
internal sealed class FunctionStats(string function, string? group)
{
    private readonly List<long> _durations = [];

    public string Function { get; } = function;

    /// <summary>The --by value (pid, tid or argument), or null without --by.</summary>
    public string? Group { get; } = group;

    /// <summary>Every call seen, returned or not.</summary>
    public long Calls { get; private set; }

    /// <summary>Calls with a duration (their return was seen).</summary>
    public long Timed => _durations.Count;

    public long TotalNs { get; private set; }
    public long SelfNs { get; private set; }
    public long MaxNs { get; private set; }

    /// <summary>Share of the function's calls really seen (from its probes' loss counters), 0..1.</summary>
    public double Completeness { get; set; } = 1;

    public void AddUntimed() => Calls++;

    public void AddTimed(long durationNs, long childNs)
    {
        Calls++;
        _durations.Add(durationNs);
        TotalNs += durationNs;
        // Children can overlap their parent's end by clock skew between CPUs; self time never goes negative.
        SelfNs += Math.Max(0, durationNs - childNs);
        MaxNs = Math.Max(MaxNs, durationNs);
    }

    public double MeanNs => Timed == 0 ? 0 : (double)TotalNs / Timed;

    private bool _sorted;

    /// <summary>The q-quantile with linear interpolation between order statistics (DuckDB's quantile_cont).</summary>
    public double Quantile(double q)
    {
        if (Timed == 0) return 0;
        if (!_sorted)
        {
            _durations.Sort();
            _sorted = true;
        }
        var pos = q * (_durations.Count - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, _durations.Count - 1);
        return _durations[lo] + (pos - lo) * (_durations[hi] - _durations[lo]);
    }
}
