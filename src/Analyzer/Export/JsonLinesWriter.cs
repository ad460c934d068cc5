using System.Text.Json;

namespace Calltape.Analyzer.Export;

/// <summary>Writes calls as JSON Lines, one object per call, streaming; args and ret are embedded as JSON objects.</summary>
internal sealed class JsonLinesWriter : IDisposable
{
    private readonly FileStream _file;
    private readonly Utf8JsonWriter _json;

    public JsonLinesWriter(string path)
    {
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        _json = new Utf8JsonWriter(_file);
    }

    public long Rows { get; private set; }

    public void Add(in CallRow c)
    {
        var j = _json;
        j.WriteStartObject();
        j.WriteNumber("ts", c.Ts);
        j.WriteNumber("ktime", c.Ktime);
        j.WriteNumber("pid", c.Pid);
        j.WriteNumber("tid", c.Tid);
        if (c.Goid is { } g) j.WriteNumber("goid", g);
        else j.WriteNull("goid");
        j.WriteNumber("probe_id", c.ProbeId);
        j.WriteString("function", c.Function);
        j.WriteString("build_id", c.BuildId);
        j.WritePropertyName("args");
        j.WriteRawValue(c.Args, skipInputValidation: true);
        if (c.DurationNs is { } d) j.WriteNumber("duration_ns", d);
        else j.WriteNull("duration_ns");
        j.WritePropertyName("ret");
        if (c.Ret is null) j.WriteNullValue();
        else j.WriteRawValue(c.Ret, skipInputValidation: true);
        j.WriteEndObject();
        j.Flush();
        // One document per line: the writer is reset so each line is its own root value.
        _file.WriteByte((byte)'\n');
        j.Reset();
        Rows++;
    }

    public void Complete() => _file.Flush(flushToDisk: false);

    public void Dispose()
    {
        _json.Dispose();
        _file.Dispose();
    }
}
