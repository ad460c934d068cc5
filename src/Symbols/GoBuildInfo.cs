using System.Text;

namespace Calltape.Symbols;

/// <summary>The Go toolchain version a binary was built with, from its .go.buildinfo section, which stripping keeps.</summary>
/// <remarks>
/// Layout per debug/buildinfo (src/debug/buildinfo/buildinfo.go): a 32-byte header, the magic "\xff Go buildinf:",
/// then the pointer size and a flags byte. With flag 2 (Go 1.18+) the version follows the header inline as a uvarint
/// length and its bytes; before that, two pointers after the magic address Go string headers {data, len} of the
/// version and the module info, read through the loaded segments. Flag 1 means big-endian, which x86-64 never is.
/// </remarks>
public static class GoBuildInfo
{
    private static readonly byte[] Magic = [0xff, .. " Go buildinf:"u8];

    /// <summary>"go1.19.8" and the like, or null when the binary has no readable .go.buildinfo.</summary>
    public static string? Version(ElfImage elf)
    {
        var data = elf.SectionData(".go.buildinfo");
        if (data is null || data.Length < 32 || !data.AsSpan(0, Magic.Length).SequenceEqual(Magic)) return null;
        int ptrSize = data[14], flags = data[15];
        if ((flags & 1) != 0 || ptrSize != 8) return null;
        try
        {
            return (flags & 2) != 0 ? Inline(data) : Indirect(elf, BitConverter.ToUInt64(data, 16));
        }
        catch (Exception e) when (e is Capture.CalltapeException or InvalidDataException or ArgumentException)
        {
            return null; // a header that points nowhere readable: the version is unknown, never guessed
        }
    }

    /// <summary>The version after the header: a uvarint length (the same encoding as DWARF's ULEB128) and its bytes.</summary>
    private static string? Inline(byte[] data)
    {
        var c = new Dwarf.DwarfCursor(data, ".go.buildinfo") { Position = 32 };
        var len = c.Uleb();
        return len == 0 || len > 256 || (ulong)(data.Length - c.Position) < len ? null : Encoding.UTF8.GetString(data, c.Position, (int)len);
    }

    private static string? Indirect(ElfImage elf, ulong header)
    {
        var h = elf.ReadCode(header, 16);
        if (h.Length < 16) return null;
        var (ptr, len) = (BitConverter.ToUInt64(h, 0), BitConverter.ToUInt64(h, 8));
        if (len == 0 || len > 256) return null;
        var text = elf.ReadCode(ptr, (int)len);
        return text.Length == (int)len ? Encoding.UTF8.GetString(text) : null;
    }
}
