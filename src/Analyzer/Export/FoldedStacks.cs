using System.Globalization;

namespace Calltape.Analyzer.Export;

/// <summary>Builds flame-graph folded stacks ("a;b;c weight" lines) from call nesting, one track at a time.</summary>
/// <remarks>
/// Calls arrive ordered by track, then entry time, longest first on ties, so a call is nested in every open call of its
/// track that has not ended yet when it starts: that is how entry/exit pairing per thread (per goroutine for Go) shows
/// nesting. With durations the weight is self time in ns (a call's duration minus its children's); calls whose return
/// was never seen cannot be placed in time and are left out (counted in <see cref="Unpaired"/>). Without any durations
/// nothing nests, so each function is one frame weighted by its calls. Memory grows with distinct stacks and the
/// depth of one track, not with calls: paths are interned as (parent path, function) pairs.
/// </remarks>
internal sealed class FoldedStacks(bool byTime)
{
    private readonly Dictionary<(int Parent, string Function), int> _ids = [];
    private readonly List<string> _paths = [];
    private readonly List<long> _weights = [];
    private readonly Stack<Frame> _open = new();
    private Track? _track;

    /// <summary>True when weights are self time in ns; false when they are call counts.</summary>
    public bool ByTime => byTime;

    public long Unpaired { get; private set; }

    public int DistinctStacks => _paths.Count;

    public void Add(in CallRow c)
    {
        if (!byTime)
        {
            _weights[Intern(-1, c.Function)]++;
            return;
        }
        if (c.DurationNs is not { } d)
        {
            Unpaired++;
            return;
        }
        var track = c.Track;
        if (_track != track)
        {
            CloseAll();
            _track = track;
        }
        while (_open.Count > 0 && _open.Peek().End <= c.Ktime) Close();
        var dur = Math.Max(0, d);
        var parent = -1;
        if (_open.Count > 0)
        {
            var top = _open.Pop();
            top.Children += dur;
            _open.Push(top);
            parent = top.Path;
        }
        _open.Push(new Frame(Intern(parent, c.Function), c.Ktime + dur, dur, 0));
    }

    /// <summary>Closes the last track and writes the stacks, sorted so the output is the same for the same capture.</summary>
    public void WriteTo(TextWriter w)
    {
        CloseAll();
        var order = Enumerable.Range(0, _paths.Count).Where(i => _weights[i] > 0).OrderBy(i => _paths[i], StringComparer.Ordinal);
        foreach (var i in order)
        {
            w.Write(_paths[i]);
            w.Write(' ');
            w.Write(_weights[i].ToString(CultureInfo.InvariantCulture));
            w.Write('\n');
        }
    }

    private void CloseAll()
    {
        while (_open.Count > 0) Close();
    }

    private void Close()
    {
        var f = _open.Pop();
        // Children can sum past the parent when clocks of different CPUs skew a few ns; self time is never negative.
        _weights[f.Path] += Math.Max(0, f.Duration - f.Children);
    }

    private int Intern(int parent, string function)
    {
        if (_ids.TryGetValue((parent, function), out var id)) return id;
        // ';' separates frames and a space the weight: a name holding them (C++ templates) would be split wrongly.
        var frame = function.Replace(';', ':').Replace(' ', '_');
        id = _paths.Count;
        _paths.Add(parent < 0 ? frame : _paths[parent] + ";" + frame);
        _weights.Add(0);
        _ids[(parent, function)] = id;
        return id;
    }

    private record struct Frame(int Path, long End, long Duration, long Children);
}
