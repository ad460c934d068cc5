using System.Text;
using Calltape.Capture.Model;

namespace Calltape.Analyzer.Conversion;

/// <summary>One typed per-function table: the SQL view name, its file, the probes feeding it and its parameter columns.</summary>
internal sealed record FunctionTableSpec(string View, string Function, string File, IReadOnlyList<int> ProbeIds, IReadOnlyList<ColumnSpec> Columns);

/// <summary>What a column of a function table holds.</summary>
internal enum ColumnRole : byte { Arg, Duration, Result, Goid }

/// <summary>A column: the name in SQL, its shape, and the parameter (an argument, or a result of the exit probes) it holds by position.</summary>
internal sealed record ColumnSpec(string Name, ColumnKind Kind, int Param, ColumnRole Role = ColumnRole.Arg);

/// <summary>Decides table, view, file and column names for a capture's functions, free of collisions.</summary>
/// <remarks>
/// DuckDB folds identifiers case-insensitively even when quoted, and Go has main.Foo beside main.foo, so views and
/// columns are deduplicated ignoring case. Probes of one function share a table when their parameters agree (the
/// same function in two processes' copies of a binary); otherwise each extra shape gets its own suffixed table.
/// </remarks>
internal static class TableLayout
{
    /// <summary>Views of the fixed tables; a function named like one of them is reachable as fn."name".</summary>
    public static readonly string[] FixedViews = ["calls", "probes", "binaries", "loss", "stacks"];

    /// <summary>Event columns every function table starts with; a parameter of the same name gets a suffix.</summary>
    public static readonly string[] EventColumns = ["ts", "pid", "tid"];

    public static IReadOnlyList<FunctionTableSpec> Plan(SessionHeader header)
    {
        var tables = new List<FunctionTableSpec>();
        var views = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var files = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        // Exit probes have no table of their own: they complete their entry's rows (ReturnColumns).
        foreach (var group in header.Probes.Where(p => p.Kind == ProbeKind.Entry).GroupBy(p => p.Function, StringComparer.Ordinal))
        {
            var shapes = new List<(string Signature, List<ProbeSpec> Probes)>();
            foreach (var p in group)
            {
                var sig = Signature(p);
                var shape = shapes.FindIndex(s => s.Signature == sig);
                if (shape < 0) shapes.Add((sig, [p]));
                else shapes[shape].Probes.Add(p);
            }
            foreach (var (_, probes) in shapes)
            {
                var baseName = tables.Any(t => t.Function == group.Key) ? $"{group.Key}@{probes[0].Id}" : group.Key;
                var view = Unique(baseName, views, n => $"{baseName}#{n}");
                var stem = "fn-" + Sanitize(view);
                var file = Unique(stem + ".parquet", files, n => $"{stem}-{n}.parquet");
                var exit = header.Probes.FirstOrDefault(x => x.Kind == ProbeKind.Exit && x.EntryProbe == probes[0].Id);
                tables.Add(new FunctionTableSpec(view, group.Key, file, probes.Select(p => p.Id).ToArray(), Columns(probes[0], exit)));
            }
        }
        return tables;
    }

    /// <summary>A name usable as a file name on any file system: [A-Za-z0-9._-] kept, everything else '_'.</summary>
    public static string Sanitize(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name)
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        var s = sb.ToString().TrimStart('.');
        if (s.Length == 0) s = "_";
        return s.Length > 150 ? s[..150] : s; // leave room under NAME_MAX (255) for prefix, suffix and dedupe
    }

    private static IReadOnlyList<ColumnSpec> Columns(ProbeSpec p, ProbeSpec? exit)
    {
        var used = new HashSet<string>(EventColumns, StringComparer.OrdinalIgnoreCase);
        var events = new HashSet<string>(EventColumns, StringComparer.OrdinalIgnoreCase);
        var cols = new List<ColumnSpec>(p.Params.Count);
        for (var i = 0; i < p.Params.Count; i++)
        {
            var name = string.IsNullOrWhiteSpace(p.Params[i].Name) ? $"arg{i}" : p.Params[i].Name;
            if (events.Contains(name)) name += "_arg";
            var unique = Unique(name, used, n => $"{name}_{n}");
            cols.Add(new ColumnSpec(unique, ParamDecoder.ColumnFor(p.Params[i].Type), i));
        }
        if (exit is not null) ReturnColumns(exit, used, cols);
        return cols;
    }

    /// <summary>duration_ns, one column per result (ret_NAME when the name is taken by an argument), and goid for Go.</summary>
    private static void ReturnColumns(ProbeSpec exit, HashSet<string> used, List<ColumnSpec> cols)
    {
        cols.Add(new ColumnSpec(Unique("duration_ns", used, n => $"duration_ns_{n}"), ColumnKind.Int64, -1, ColumnRole.Duration));
        for (var i = 0; i < exit.Params.Count; i++)
        {
            var name = string.IsNullOrWhiteSpace(exit.Params[i].Name) ? $"r{i}" : exit.Params[i].Name;
            if (used.Contains(name)) name = "ret_" + name;
            var unique = Unique(name, used, n => $"{name}_{n}");
            cols.Add(new ColumnSpec(unique, ParamDecoder.ColumnFor(exit.Params[i].Type), i, ColumnRole.Result));
        }
        if (exit.GoidDeref >= 0)
            cols.Add(new ColumnSpec(Unique("goid", used, n => $"goid_{n}"), ColumnKind.Int64, -1, ColumnRole.Goid));
    }

    private static string Signature(ProbeSpec p) =>
        string.Join("\u0001", p.Params.Select(x => $"{x.Name}\u0002{ParamDecoder.ColumnFor(x.Type)}"));

    private static string Unique(string name, HashSet<string> used, Func<int, string> variant)
    {
        var candidate = name;
        for (var n = 2; !used.Add(candidate); n++) candidate = variant(n);
        return candidate;
    }
}
