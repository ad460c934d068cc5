using System.IO.Compression;
using Parquet;

namespace Calltape.Analyzer.Conversion;

/// <summary>The writer settings every table of a conversion shares.</summary>
internal static class ParquetFiles
{
    /// <summary>Rows per row group: big enough for good compression and fast scans (DuckDB's own groups are 122,880 rows),
    /// small enough to bound memory: each table holds two groups of buffers (bench/convert.sh: 128 Ki rows peaked at
    /// 574 MiB RSS on 18 M events, 256 Ki at 775 MiB, 1 Mi at 1.9 GiB, for 4% more CPU than 256 Ki).</summary>
    public const int DefaultRowGroupRows = 1 << 17;

    /// <summary>Options for one file, with dictionary encoding hinted on its string columns.</summary>
    /// <remarks>
    /// Parquet.Net 6 defaults zstd to SmallestSize, which is ~60x slower for a few percent (FACTS.md), and only
    /// dictionary-encodes strings it is told to. Fastest beat Optimal here on both counts (10 M calls: 8% less CPU,
    /// 66 MB instead of 70 MB); Snappy took 15% less CPU but wrote 88% more bytes, so zstd stays (bench/convert.sh). The sample size lets high-cardinality columns (args JSON) give up on
    /// the dictionary after a quick look instead of after hashing the whole row group.
    /// </remarks>
    /// <param name="deltaColumns">Timestamp columns: DELTA_BINARY_PACKED encodes them in a fifth of the time of PLAIN plus
    /// zstd (12 vs 60 ns a row) and shrinks them to almost nothing, since consecutive rows are nanoseconds apart.</param>
    public static ParquetOptions Options(IEnumerable<string> stringColumns, IEnumerable<string>? deltaColumns = null)
    {
        var o = new ParquetOptions
        {
            CompressionMethod = CompressionMethod.Zstd,
            CompressionLevel = CompressionLevel.Fastest,
            DictionaryEncodingSampleSize = 8192,
        };
        foreach (var c in stringColumns) o.ColumnEncodingHints[c] = EncodingHint.Dictionary;
        foreach (var c in deltaColumns ?? []) o.ColumnEncodingHints[c] = EncodingHint.DeltaBinaryPacked;
        return o;
    }

    /// <summary>Creates (or truncates) a file for a writer; Parquet.Net needs a seekable stream.</summary>
    public static FileStream Create(string path) =>
        new(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.None);
}
