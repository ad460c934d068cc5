using System.IO.Compression;
using System.Security.Cryptography;
using Calltape.Capture;
using Calltape.Symbols;

namespace Calltape.Analyzer.Bundles;

/// <summary>A bundle extracted for reading: where its capture, Parquet and binaries are on disk.</summary>
/// <param name="Root">The extraction directory: capture/, capture.parquet/, binaries/, SUMMARY.md.</param>
internal sealed record ExtractedBundle(string Root, BundleManifest Manifest)
{
    public string CaptureDir => Path.Combine(Root, "capture");
    public string BinariesDir => Path.Combine(Root, "binaries");
}

/// <summary>Extracts bundles once into $XDG_CACHE_HOME/calltape/bundles/HASH, keyed by the bundle's SHA-256.</summary>
/// <remarks>
/// Keying by content makes the cache safe to share and never stale: a changed bundle is a new directory. Extraction
/// goes to a temporary sibling renamed into place, so a reader never sees half a bundle. Every entry is checked
/// against its CRC and its name against the layout (no absolute paths, no ".."), so a foreign or damaged file fails in
/// one line. Parquet lands in capture.parquet/ beside capture/, which is where query looks for a capture's tables.
/// </remarks>
internal static class BundleCache
{
    private static readonly TimeSpan UnusedFor = TimeSpan.FromDays(7);
    private const UnixFileMode DirMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>True when the file starts like a zip archive (a bundle, or something posing as one).</summary>
    public static bool LooksLikeBundle(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var fs = File.OpenRead(path);
        return fs.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual("PK\u0003\u0004"u8);
    }

    public static ExtractedBundle Extract(string bundle)
    {
        var root = Path.Combine(CacheRoot(), Hash(bundle));
        var manifestPath = Path.Combine(root, BundleManifest.FileName);
        if (File.Exists(manifestPath))
        {
            Touch(root);
            return new ExtractedBundle(root, BundleManifest.Parse(File.ReadAllBytes(manifestPath), bundle));
        }
        Prune(Path.GetDirectoryName(root)!);

        Directory.CreateDirectory(Path.GetDirectoryName(root)!, DirMode);
        var work = $"{root}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            var manifest = ExtractTo(bundle, work);
            try
            {
                Directory.Move(work, root);
            }
            catch (IOException) when (File.Exists(manifestPath))
            {
                // Another calltape extracted the same bundle first; its copy is identical.
                Directory.Delete(work, recursive: true);
            }
            return new ExtractedBundle(root, manifest);
        }
        catch
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            throw;
        }
    }

    private static BundleManifest ExtractTo(string bundle, string dir)
    {
        try
        {
            using var zip = ZipFile.OpenRead(bundle);
            var first = zip.Entries.FirstOrDefault();
            if (first?.FullName != BundleManifest.FileName)
                throw new CalltapeException($"{bundle}: not a Calltape bundle (a zip file without {BundleManifest.FileName} first)", ExitCodes.CorruptCapture);
            var manifest = BundleManifest.Parse(ReadVerified(first, bundle), bundle);
            Directory.CreateDirectory(dir, DirMode);
            foreach (var e in zip.Entries)
            {
                var target = TargetOf(e.FullName, bundle);
                if (target is null) continue; // a later writer's extra entry: this reader has no use for it
                var path = Path.Combine(dir, target);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!, DirMode);
                var file = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                // Binaries are mostly the zeros of their blanked code (BinarySubset): extracted as holes.
                using Stream output = target.StartsWith("binaries", StringComparison.Ordinal) ? new SparseWriteStream(file) : file;
                CopyVerified(e, output, bundle);
            }
            if (!Directory.Exists(Path.Combine(dir, "capture")))
                throw new CalltapeException($"{bundle}: corrupt Calltape bundle (no capture inside)", ExitCodes.CorruptCapture);
            // The cached Parquet counts as fresh only when newer than the capture (query's rule for any capture).
            var old = DateTime.UtcNow.AddMinutes(-1);
            foreach (var f in Directory.EnumerateFiles(Path.Combine(dir, "capture"))) File.SetLastWriteTimeUtc(f, old);
            return manifest;
        }
        catch (InvalidDataException ex)
        {
            throw new CalltapeException($"{bundle}: corrupt Calltape bundle ({Flat(ex.Message)})", ExitCodes.CorruptCapture);
        }
    }

    /// <summary>Where an entry goes inside the extraction directory, or null to skip it; unsafe names are an error.</summary>
    private static string? TargetOf(string name, string bundle)
    {
        var parts = name.Split('/');
        if (name.Contains('\\') || parts.Any(p => p is "" or "." or ".."))
            throw new CalltapeException($"{bundle}: corrupt Calltape bundle (unsafe entry name '{name}')", ExitCodes.CorruptCapture);
        return parts switch
        {
            [BundleManifest.FileName or BundleManifest.SummaryFile] => name,
            ["capture", var f] => Path.Combine("capture", f),
            ["parquet", var f] => Path.Combine("capture.parquet", f),
            ["binaries", var key, var f] => Path.Combine("binaries", key, f),
            _ => null,
        };
    }

    private static byte[] ReadVerified(ZipArchiveEntry e, string bundle)
    {
        using var ms = new MemoryStream();
        CopyVerified(e, ms, bundle);
        return ms.ToArray();
    }

    /// <summary>Streams an entry out, checking its length and CRC-32 (captures hold gigabytes; memory stays flat).</summary>
    private static void CopyVerified(ZipArchiveEntry e, Stream output, string bundle)
    {
        using var s = e.Open();
        var buf = new byte[1 << 16];
        uint crc = 0;
        long total = 0;
        int n;
        while ((n = s.Read(buf)) > 0)
        {
            crc = Crc32.Append(crc, buf.AsSpan(0, n));
            output.Write(buf, 0, n);
            total += n;
        }
        if (total != e.Length || crc != e.Crc32)
            throw new CalltapeException($"{bundle}: corrupt Calltape bundle ({e.FullName} fails its checksum)", ExitCodes.CorruptCapture);
    }

    /// <summary>Marks an extraction as used, so pruning keeps it.</summary>
    private static void Touch(string root)
    {
        try { Directory.SetLastWriteTimeUtc(root, DateTime.UtcNow); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Removes extractions unused for a week (and abandoned temporaries): every bundle opened adds a full copy here,
    /// and a bundle that is opened again is simply extracted again. Best effort: failures are ignored.
    /// </summary>
    private static void Prune(string cacheDir)
    {
        if (!Directory.Exists(cacheDir)) return;
        var cutoff = DateTime.UtcNow - UnusedFor;
        foreach (var d in Directory.EnumerateDirectories(cacheDir))
        {
            try
            {
                if (Directory.GetLastWriteTimeUtc(d) < cutoff) Directory.Delete(d, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>$XDG_CACHE_HOME/calltape/bundles, else ~/.cache/calltape/bundles.</summary>
    private static string CacheRoot()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetEnvironmentVariable("HOME");
        var baseDir = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg) ? xdg
            : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache")
            : Path.Combine(Path.GetTempPath(), $"calltape-cache-{Environment.UserName}");
        return Path.Combine(baseDir, "calltape", "bundles");
    }

    private static string Hash(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(fs))[..24];
    }

    private static string Flat(string s) => string.Join(" ", s.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
