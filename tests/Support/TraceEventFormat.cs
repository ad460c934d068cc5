using System.Text.Json;

namespace Calltape.Tests.Support;

/// <summary>Checks a Chrome trace-event JSON file (what calltape export --perfetto writes) against the format's rules.</summary>
/// <remarks>
/// The rules of the Trace Event Format document that trace viewers enforce: the file is a JSON array of events or an
/// object with a traceEvents array; every event has ph, ts (µs), pid and tid, and a name unless it is an end event;
/// X (complete) events have a non-negative dur; every B has a matching E on its thread, in stack order; instant events'
/// scope is g, p or t; metadata (M) names a process or thread in args.name.
/// </remarks>
public static class TraceEventFormat
{
    /// <summary>One validated event.</summary>
    public sealed record Event(string Ph, string? Name, decimal Ts, decimal? Dur, long Pid, long Tid, JsonElement? Args);

    /// <summary>Parses and validates the file; throws naming the first broken rule; returns the events.</summary>
    public static List<Event> Validate(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        var array = root.ValueKind switch
        {
            JsonValueKind.Array => root,
            JsonValueKind.Object when root.TryGetProperty("traceEvents", out var te) && te.ValueKind == JsonValueKind.Array => te,
            _ => throw new FormatException("not a trace: neither an array nor an object with a traceEvents array"),
        };
        var events = new List<Event>();
        var open = new Dictionary<(long, long), Stack<string?>>();
        var i = 0;
        foreach (var e in array.EnumerateArray())
        {
            string Where() => $"event {i}: {e.GetRawText()}";
            if (e.ValueKind != JsonValueKind.Object) throw new FormatException($"{Where()} is not an object");
            var ph = Str(e, "ph") ?? throw new FormatException($"{Where()} has no ph");
            var name = Str(e, "name");
            if (name is null && ph != "E") throw new FormatException($"{Where()} has no name");
            var ts = Num(e, "ts") ?? throw new FormatException($"{Where()} has no numeric ts");
            var pid = (long)(Num(e, "pid") ?? throw new FormatException($"{Where()} has no numeric pid"));
            var tid = (long)(Num(e, "tid") ?? throw new FormatException($"{Where()} has no numeric tid"));
            if (tid < 0 || tid > uint.MaxValue || pid < 0 || pid > uint.MaxValue) throw new FormatException($"{Where()}: pid/tid out of 32 bits");
            decimal? dur = null;
            switch (ph)
            {
                case "X":
                    dur = Num(e, "dur") ?? throw new FormatException($"{Where()}: X without a numeric dur");
                    if (dur < 0) throw new FormatException($"{Where()}: negative dur");
                    break;
                case "B":
                    if (!open.TryGetValue((pid, tid), out var st)) open[(pid, tid)] = st = new Stack<string?>();
                    st.Push(name);
                    break;
                case "E":
                    if (!open.TryGetValue((pid, tid), out var st2) || st2.Count == 0) throw new FormatException($"{Where()}: E without a B");
                    var b = st2.Pop();
                    if (name is not null && b != name) throw new FormatException($"{Where()}: E closes {b}");
                    break;
                case "i" or "I":
                    if (Str(e, "s") is { } s && s is not ("g" or "p" or "t")) throw new FormatException($"{Where()}: instant scope {s}");
                    break;
                case "M":
                    if (name is not ("process_name" or "thread_name" or "process_sort_index" or "thread_sort_index" or "process_labels"))
                        throw new FormatException($"{Where()}: unknown metadata {name}");
                    if (!e.TryGetProperty("args", out var ma) || ma.ValueKind != JsonValueKind.Object) throw new FormatException($"{Where()}: metadata without args");
                    break;
                case "C" or "b" or "e" or "n" or "s" or "t" or "f" or "P" or "O" or "N" or "D":
                    break;
                default:
                    throw new FormatException($"{Where()}: unknown ph {ph}");
            }
            if (e.TryGetProperty("args", out var args) && args.ValueKind != JsonValueKind.Object)
                throw new FormatException($"{Where()}: args is not an object");
            events.Add(new Event(ph, name, ts, dur, pid, tid, e.TryGetProperty("args", out var a) ? a.Clone() : null));
            i++;
        }
        foreach (var ((pid, tid), st) in open)
            if (st.Count > 0) throw new FormatException($"B {st.Peek()} on {pid}/{tid} has no E");
        return events;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static decimal? Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDecimal() : null;
}
