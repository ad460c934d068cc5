using System.Text.Json;

namespace Calltape.Analyzer.Export;

/// <summary>Writes calls as Chrome trace-event JSON (the format ui.perfetto.dev and chrome://tracing open), streaming.</summary>
/// <remarks>
/// One event per call: a complete event (ph X) with its duration when the call's return was paired, else an instant
/// event (ph i, thread scope). Complete events need no matching end event, so nothing has to be held back while
/// streaming, and they may come in any order. Times are microseconds (the format's unit) of the capture's monotonic
/// ktime, written as exact decimals so nanoseconds survive. The only state kept is the set of tracks seen, for the
/// thread_name/process_name metadata written at the end; it grows with threads and goroutines, never with calls.
/// </remarks>
internal sealed class PerfettoWriter : IDisposable
{
    /// <summary>Goroutine tracks get tids from here on: trace viewers key tracks by (pid, tid) and read tid as 32 bits,
    /// and Linux tids stay below 2^22, so goroutines and threads of one process cannot collide.</summary>
    public const uint GoroutineTidBase = 1u << 30;

    private static readonly JsonEncodedText TraceEvents = JsonEncodedText.Encode("traceEvents");
    private static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText Ph = JsonEncodedText.Encode("ph");
    private static readonly JsonEncodedText Ts = JsonEncodedText.Encode("ts");
    private static readonly JsonEncodedText Dur = JsonEncodedText.Encode("dur");
    private static readonly JsonEncodedText Pid = JsonEncodedText.Encode("pid");
    private static readonly JsonEncodedText Tid = JsonEncodedText.Encode("tid");
    private static readonly JsonEncodedText Cat = JsonEncodedText.Encode("cat");
    private static readonly JsonEncodedText Scope = JsonEncodedText.Encode("s");
    private static readonly JsonEncodedText ArgsName = JsonEncodedText.Encode("args");
    private static readonly JsonEncodedText RetName = JsonEncodedText.Encode("ret");

    private readonly FileStream _file;
    private readonly Utf8JsonWriter _json;
    private readonly HashSet<Track> _tracks = [];

    public PerfettoWriter(string path)
    {
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        _json = new Utf8JsonWriter(_file);
        _json.WriteStartObject();
        _json.WriteString("displayTimeUnit", "ns");
        _json.WriteStartArray(TraceEvents);
    }

    public long Slices { get; private set; }
    public long Instants { get; private set; }

    /// <summary>The tid a track is shown under.</summary>
    public static uint TidOf(Track t) => t.Goroutine ? GoroutineTidBase + (uint)(t.Id & (GoroutineTidBase - 1)) : (uint)t.Id;

    public void Add(in CallRow c)
    {
        var track = c.Track;
        _tracks.Add(track);
        var j = _json;
        j.WriteStartObject();
        j.WriteString(Name, c.Function);
        j.WriteString(Cat, "call");
        if (c.DurationNs is { } d)
        {
            j.WriteString(Ph, "X");
            j.WriteNumber(Ts, Micros(c.Ktime));
            // A return is timed on another CPU than its call; clamp the rare clock skew rather than emit a negative dur.
            j.WriteNumber(Dur, Micros(Math.Max(0, d)));
            Slices++;
        }
        else
        {
            j.WriteString(Ph, "i");
            j.WriteString(Scope, "t");
            j.WriteNumber(Ts, Micros(c.Ktime));
            Instants++;
        }
        j.WriteNumber(Pid, c.Pid);
        j.WriteNumber(Tid, TidOf(track));
        j.WriteStartObject(ArgsName);
        j.WritePropertyName(ArgsName);
        j.WriteRawValue(c.Args, skipInputValidation: true);
        if (c.Ret is not null)
        {
            j.WritePropertyName(RetName);
            j.WriteRawValue(c.Ret, skipInputValidation: true);
        }
        j.WriteEndObject();
        j.WriteEndObject();
        // Utf8JsonWriter buffers until flushed: hand it to the file often so the buffer never grows with the capture.
        if (j.BytesPending > 1 << 16) j.Flush();
    }

    /// <summary>Writes the track names and closes the document.</summary>
    public void Complete()
    {
        foreach (var pid in _tracks.Select(t => t.Pid).Distinct().Order())
            Metadata("process_name", pid, 0, $"pid {pid}");
        foreach (var t in _tracks.OrderBy(t => t.Pid).ThenBy(t => t.Goroutine).ThenBy(t => t.Id))
            Metadata("thread_name", t.Pid, TidOf(t), t.Goroutine ? $"goroutine {t.Id}" : $"thread {t.Id}");
        _json.WriteEndArray();
        _json.WriteEndObject();
        _json.Flush();
        _file.Flush(flushToDisk: false);
    }

    public int Tracks => _tracks.Count;

    private void Metadata(string kind, uint pid, uint tid, string name)
    {
        var j = _json;
        j.WriteStartObject();
        j.WriteString(Name, kind);
        j.WriteString(Ph, "M");
        j.WriteNumber(Ts, 0);
        j.WriteNumber(Pid, pid);
        j.WriteNumber(Tid, tid);
        j.WriteStartObject(ArgsName);
        j.WriteString(Name, name);
        j.WriteEndObject();
        j.WriteEndObject();
    }

    /// <summary>Nanoseconds as exact decimal microseconds (a double would round ktime's nanoseconds away).</summary>
    private static decimal Micros(long ns) => ns / 1000m;

    public void Dispose()
    {
        _json.Dispose();
        _file.Dispose();
    }
}
