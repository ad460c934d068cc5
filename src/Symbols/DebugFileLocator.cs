namespace Calltape.Symbols;

/// <summary>Finds a binary's separate debug file (Debian's -dbgsym packages, objcopy --only-keep-debug), the way gdb does.</summary>
/// <remarks>
/// gdb manual, "Debugging Information in Separate Files": by build-id, ROOT/.build-id/xx/rest.debug, where xx is the
/// first byte of the NT_GNU_BUILD_ID in hex; by .gnu_debuglink (a file name, NUL, padding to 4 bytes, then the CRC-32
/// of the debug file, little-endian), the name in the binary's directory, in its .debug/ subdirectory, and under
/// ROOT/ followed by the binary's directory. A build-id candidate must carry the same build-id and a debuglink
/// candidate the recorded CRC, so a stale file is never used. The roots are injectable so tests need no root.
/// </remarks>
public sealed class DebugFileLocator(IReadOnlyList<string> roots)
{
    /// <summary>The system's global debug directory, as Debian's gdb uses it.</summary>
    public static DebugFileLocator Default { get; } = new(["/usr/lib/debug"]);

    public IReadOnlyList<string> Roots { get; } = roots;

    /// <summary>The path of the separate debug file of elf, or null when there is none (or none that matches).</summary>
    public string? Find(ElfImage elf)
    {
        if (elf.GnuBuildId is { Length: > 2 } id)
            foreach (var root in Roots)
            {
                var candidate = Path.Combine(root, ".build-id", id[..2], id[2..] + ".debug");
                if (File.Exists(candidate) && !SameFile(candidate, elf.Path) && BuildIdOf(candidate) == id) return candidate;
            }
        if (ParseDebugLink(elf.SectionData(".gnu_debuglink")) is not var (name, crc)) return null;
        var dir = Path.GetDirectoryName(elf.Path) ?? "/";
        var places = new List<string> { Path.Combine(dir, name), Path.Combine(dir, ".debug", name) };
        places.AddRange(Roots.Select(root => Path.Combine(root, dir.TrimStart('/'), name)));
        foreach (var candidate in places)
            if (File.Exists(candidate) && !SameFile(candidate, elf.Path) && Crc32Of(candidate) == crc) return candidate;
        return null;
    }

    /// <summary>The file name and CRC of a .gnu_debuglink section, or null when it is absent or malformed.</summary>
    public static (string Name, uint Crc)? ParseDebugLink(byte[]? section)
    {
        if (section is null) return null;
        var nul = Array.IndexOf(section, (byte)0);
        if (nul <= 0) return null;
        var crcAt = (nul + 4) & ~3; // the name's NUL, then zero padding to a 4-byte boundary
        if (crcAt + 4 > section.Length) return null;
        var name = System.Text.Encoding.UTF8.GetString(section, 0, nul);
        if (name.Contains('/')) return null; // a file name, never a path
        return (name, BitConverter.ToUInt32(section, crcAt));
    }

    /// <summary>The CRC-32 of a whole file, as .gnu_debuglink stores it.</summary>
    public static uint Crc32Of(string path)
    {
        using var stream = File.OpenRead(path);
        var buffer = new byte[1 << 16];
        var crc = 0u;
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
            crc = Crc32.Append(crc, buffer.AsSpan(0, n));
        return crc;
    }

    private static string? BuildIdOf(string path)
    {
        try
        {
            return ElfImage.Open(path).GnuBuildId;
        }
        catch (Capture.CalltapeException)
        {
            return null; // not an ELF file (or unreadable): not the debug file
        }
    }

    private static bool SameFile(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal);
}
