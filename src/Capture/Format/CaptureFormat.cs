namespace Calltape.Capture.Format;

/// <summary>Constants of the on-disk capture format; docs/FORMAT.md is the written spec.</summary>
public static class CaptureFormat
{
    /// <summary>Bumped on any change a version-1 reader would misread.</summary>
    public const int Version = 1;

    /// <summary>Additions a version-1 reader rejects cleanly rather than misreads: 1 adds user stacks (tags -5, -6).</summary>
    public const int Minor = 1;

    public const string Magic = "calltape";
    public const string ManifestFile = "manifest.msgpack";
    public const string ChunkPrefix = "chunk-";
    public const string ChunkSuffix = ".ctc";
    public const long DefaultChunkSize = 64L << 20;

    /// <summary>Tags of control items: the first element of a top-level array, negative so that one byte encodes it.</summary>
    public const int TagThread = -1;
    public const int TagLoss = -2;
    public const int TagTrailer = -3;
    public const int TagHeader = -4;
    public const int TagStack = -5;
    public const int TagMapping = -6;

    public static string ChunkName(int seq) => $"{ChunkPrefix}{seq:D6}{ChunkSuffix}";

    public static bool IsChunkName(string fileName) =>
        fileName.StartsWith(ChunkPrefix, StringComparison.Ordinal) && fileName.EndsWith(ChunkSuffix, StringComparison.Ordinal);
}
