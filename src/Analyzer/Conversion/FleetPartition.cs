using System.Globalization;
using System.Text;
using Calltape.Capture;
using Calltape.Capture.Format;
using DuckDB.NET.Data;

namespace Calltape.Analyzer.Conversion;

/// <summary>Writes a conversion into a hive-partitioned tree shared by many captures:
/// ROOT/TABLE/host=H/date=D/capture=ID/part-ID.parquet.</summary>
/// <remarks>
/// The table is a plain directory, not a key=value level, so each table is its own dataset: Spark's basePath and a
/// Trino external_location point at ROOT/TABLE and see exactly three partition keys, and tables of different shapes
/// never merge. date is the UTC day of the events' wall-clock ts; a capture spanning midnight is split into one file
/// per day. Tables without ts (probes, binaries, loss) go to the first day. capture is the capture id: probe_id and
/// stack_id are numbered per capture, so it is what joins calls with its own probes and stacks across a fleet. The
/// file is named after the capture id too, so converting the same capture again replaces its files. The conversion is
/// staged in a hidden directory of ROOT (engines skip names starting with '.' or '_') and moved in by rename. See
/// docs/FLEET.md.
/// </remarks>
internal static class FleetPartition
{
    /// <summary>Where each capture's calltape.json goes, as MANIFESTS/ID.json (hidden from engines by the underscore).</summary>
    public const string ManifestsDir = "_calltape";

    /// <param name="binaries">Where to look for the traced binaries first (--binaries): stacks and interface type names.</param>
    public static async Task<ConversionResult> ConvertAsync(CaptureReader reader, string root, int rowGroupRows, CancellationToken ct,
        string? binaries = null)
    {
        var fullRoot = Path.GetFullPath(root.TrimEnd('/'));
        if (File.Exists(fullRoot)) throw new CalltapeException($"{root} exists and is a file; choose another -o");
        Directory.CreateDirectory(fullRoot);
        var id = Escape(reader.Header.CaptureId);
        var staging = Path.Combine(fullRoot, $".staging-{id}-{Guid.NewGuid():N}"[..Math.Min(id.Length + 18, 200)]);
        try
        {
            var result = await ParquetExporter.ConvertAsync(reader, staging, rowGroupRows, ct, binaries,
                Binaries.DynamicTypes.For(reader.Header, binaries));
            var manifest = ConversionManifest.TryRead(staging)
                ?? throw new InvalidOperationException($"conversion left no {ConversionManifest.FileName}");
            var host = Escape(reader.Header.Host);
            var days = Days(Path.Combine(staging, CallsTable.FileName), reader.Header.Clock.RealtimeNs);
            var part = $"part-{id}.parquet";

            var tables = new List<(string Dir, string File, bool HasTs)> { ("calls", CallsTable.FileName, true) };
            tables.AddRange(manifest.Tables.Select(t => (Path.GetFileNameWithoutExtension(t.File), t.File, true)));
            tables.AddRange(TableLayout.FixedViews.Where(v => v != "calls").Select(v => (v, v + ".parquet", false)));
            foreach (var (dir, file, hasTs) in tables)
            {
                var src = Path.Combine(staging, file);
                if (days.Count == 1 || !hasTs)
                {
                    File.Move(src, Target(fullRoot, dir, host, days[0], id, part), overwrite: true);
                    continue;
                }
                // Rare: the capture spans midnight UTC. DuckDB's own writer splits it; cost is paid only here.
                foreach (var day in days) CopyDay(src, Target(fullRoot, dir, host, day, id, part), day);
            }
            var manifests = Path.Combine(fullRoot, ManifestsDir);
            Directory.CreateDirectory(manifests);
            File.Move(Path.Combine(staging, ConversionManifest.FileName), Path.Combine(manifests, id + ".json"), overwrite: true);
            return result with { OutputDir = fullRoot };
        }
        finally
        {
            OutputDirectory.Abandon(staging);
        }
    }

    /// <summary>A hive partition value, escaped as Hive and Spark do (%XX) for anything outside [A-Za-z0-9._-].</summary>
    public static string Escape(string value)
    {
        if (value.Length == 0) return "__HIVE_DEFAULT_PARTITION__";
        var sb = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
            sb.Append(b < 0x80 && (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'.' or (byte)'-' or (byte)'_') ? (char)b : $"%{b:X2}");
        var s = sb.ToString();
        return s[0] == '.' ? "%2E" + s[1..] : s; // never a hidden name
    }

    /// <summary>The UTC day of a wall-clock ns timestamp, as a partition value (yyyy-MM-dd).</summary>
    public static string Day(long wallNs) =>
        DateTimeOffset.UnixEpoch.AddTicks(wallNs / TimeSpan.NanosecondsPerTick).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Target(string root, string table, string host, string day, string capture, string part)
    {
        var dir = Path.Combine(root, table, $"host={host}", $"date={day}", $"capture={capture}");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, part);
    }

    /// <summary>Every UTC day the calls span, first to last; the clock's day when there are no calls.</summary>
    private static List<string> Days(string calls, long realtimeNs)
    {
        using var conn = Open();
        using var cmd = conn.CreateCommand();
        // min/max come from the row-group statistics, so this reads only the footer.
        cmd.CommandText = $"SELECT min(ts), max(ts) FROM read_parquet({Literal(calls)})";
        using var r = cmd.ExecuteReader();
        r.Read();
        if (r.IsDBNull(0)) return [Day(realtimeNs)];
        var first = DateOnly.ParseExact(Day(r.GetInt64(0)), "yyyy-MM-dd", CultureInfo.InvariantCulture);
        var last = DateOnly.ParseExact(Day(r.GetInt64(1)), "yyyy-MM-dd", CultureInfo.InvariantCulture);
        var days = new List<string>();
        for (var d = first; d <= last; d = d.AddDays(1)) days.Add(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        return days;
    }

    private static void CopyDay(string src, string target, string day)
    {
        var lo = (DateOnly.ParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber)
            * TimeSpan.NanosecondsPerTick * TimeSpan.TicksPerDay;
        var hi = lo + TimeSpan.NanosecondsPerTick * TimeSpan.TicksPerDay;
        using var conn = Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = $"COPY (SELECT * FROM read_parquet({Literal(src)}) WHERE ts >= {lo} AND ts < {hi}) "
            + $"TO {Literal(target)} (FORMAT parquet, COMPRESSION zstd)";
        cmd.ExecuteNonQuery();
    }

    private static DuckDBConnection Open() => Query.OfflineDuckDb.Open();

    private static string Literal(string s) => "'" + s.Replace("'", "''") + "'";
}
