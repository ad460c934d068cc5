using Calltape.Capture;
using Calltape.Capture.Model;
using Calltape.Symbols;

namespace Calltape.Analyzer.Binaries;

/// <summary>Build-ids read from a file on disk.</summary>
internal readonly record struct BuildIds(string? Gnu, string? Go);

/// <summary>How a binary named by the capture relates to the files at hand.</summary>
internal enum BinaryState
{
    /// <summary>A file with the recorded build-id was found.</summary>
    Verified,
    /// <summary>The capture recorded no build-id, so nothing can be checked.</summary>
    Unverifiable,
    /// <summary>No file at the recorded path nor in the search directory.</summary>
    Missing,
    /// <summary>Files were found, none with the recorded build-id.</summary>
    Mismatch,
}

/// <summary>The outcome for one binary: its state, the file looked at, and that file's build-id on a mismatch.</summary>
internal sealed record BinaryStatus(BinaryInfo Binary, BinaryState State, string? File, string? FoundId);

/// <summary>Checks that the binaries a capture names are the ones on disk (or under --binaries), by build-id.</summary>
/// <remarks>
/// Decoding never needs the binary (the plan is in the capture), but symbolizing or re-planning later does, and a
/// rebuilt binary at the same path would silently give wrong answers; so a mismatch is an error, absence a warning.
/// </remarks>
internal sealed class BinaryCheck(string? searchDir, Func<string, BuildIds>? readIds = null)
{
    private readonly Func<string, BuildIds> _readIds = readIds ?? ReadFromElf;

    /// <summary>Throws on a mismatch; returns one warning line per binary that is not on disk.</summary>
    public IReadOnlyList<string> Verify(SessionHeader header)
    {
        if (searchDir is not null && !Directory.Exists(searchDir))
            throw new CalltapeException($"--binaries {searchDir}: no such directory", ExitCodes.NotFound);
        var warnings = new List<string>();
        foreach (var b in header.Binaries)
        {
            var s = Check(b);
            switch (s.State)
            {
                case BinaryState.Mismatch:
                    throw new CalltapeException(
                        $"binary {s.File} has build-id {s.FoundId ?? "(none)"}, the capture was recorded with {b.Key}; pass --binaries DIR with the right one",
                        ExitCodes.BadInput);
                case BinaryState.Missing:
                    warnings.Add($"binary {b.Path} not found{(searchDir is null ? "" : $" (nor under {searchDir})")}; decoding from the plan stored in the capture");
                    break;
            }
        }
        return warnings;
    }

    /// <summary>The state of one binary: the first candidate file whose build-id matches wins.</summary>
    public BinaryStatus Check(BinaryInfo b)
    {
        var candidates = Candidates(b.Path).ToList();
        if (candidates.Count == 0) return new BinaryStatus(b, BinaryState.Missing, null, null);
        if (b.GnuBuildId is null && b.GoBuildId is null) return new BinaryStatus(b, BinaryState.Unverifiable, candidates[0], null);
        BinaryStatus? first = null;
        foreach (var file in candidates)
        {
            var ids = _readIds(file);
            if (Matches(b, ids)) return new BinaryStatus(b, BinaryState.Verified, file, null);
            first ??= new BinaryStatus(b, BinaryState.Mismatch, file, b.GnuBuildId is not null ? ids.Gnu ?? ids.Go : ids.Go ?? ids.Gnu);
        }
        return first!;
    }

    /// <summary>GNU build-ids are hex (case is cosmetic); Go build-ids are base64-like and compared exactly.</summary>
    private static bool Matches(BinaryInfo b, BuildIds ids)
    {
        if (b.GnuBuildId is not null && ids.Gnu is not null) return string.Equals(b.GnuBuildId, ids.Gnu, StringComparison.OrdinalIgnoreCase);
        if (b.GoBuildId is not null && ids.Go is not null) return string.Equals(b.GoBuildId, ids.Go, StringComparison.Ordinal);
        return false;
    }

    /// <summary>Files named like the recorded binary under --binaries first, then the recorded path itself.</summary>
    private IEnumerable<string> Candidates(string recorded)
    {
        if (searchDir is not null)
        {
            var name = Path.GetFileName(recorded);
            var direct = Path.Combine(searchDir, name);
            if (File.Exists(direct)) yield return direct;
            var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MaxRecursionDepth = 8 };
            foreach (var f in Directory.EnumerateFiles(searchDir, name, options))
                if (f != direct) yield return f;
        }
        if (File.Exists(recorded)) yield return recorded;
    }

    private static BuildIds ReadFromElf(string path)
    {
        var image = ElfImage.Open(path);
        try
        {
            return new BuildIds(image.GnuBuildId, image.GoBuildId);
        }
        finally
        {
            // Whether ElfImage holds the file open is its business; release it if it does.
            ((object)image as IDisposable)?.Dispose();
        }
    }
}
