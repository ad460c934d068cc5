using Calltape.Capture;

namespace Calltape.Analyzer.Conversion;

/// <summary>Builds a conversion in a temporary sibling and swaps it into place, never clobbering foreign files.</summary>
internal static class OutputDirectory
{
    /// <summary>Checks that the target may be (re)written and returns a fresh work directory beside it.</summary>
    public static string BeginWrite(string outDir)
    {
        var full = Path.GetFullPath(outDir.TrimEnd('/'));
        if (File.Exists(full)) throw new CalltapeException($"{outDir} exists and is a file; choose another -o");
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any()
            && !File.Exists(Path.Combine(full, ConversionManifest.FileName)))
            throw new CalltapeException($"{outDir} exists and is not a Calltape Parquet directory; choose another -o or remove it");
        var parent = Path.GetDirectoryName(full) ?? "/";
        if (!Directory.Exists(parent)) throw new CalltapeException($"{parent}: no such directory", ExitCodes.NotFound);
        var work = $"{full}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}"[..(full.Length + 18)];
        Directory.CreateDirectory(work);
        return work;
    }

    public static void Commit(string work, string outDir)
    {
        var full = Path.GetFullPath(outDir.TrimEnd('/'));
        string? old = null;
        if (Directory.Exists(full))
        {
            old = $"{full}.old-{Environment.ProcessId}-{Guid.NewGuid():N}"[..(full.Length + 18)];
            Directory.Move(full, old);
        }
        Directory.Move(work, full);
        if (old is not null) Abandon(old);
    }

    /// <summary>Removes a work or superseded directory; a leftover is harmless, so failures are ignored.</summary>
    public static void Abandon(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }
}
