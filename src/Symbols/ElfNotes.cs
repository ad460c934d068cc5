using System.Buffers.Binary;
using System.Text;

namespace Calltape.Symbols;

/// <summary>Parses the raw bytes of an SHT_NOTE section into (name, type, descriptor) triples.</summary>
/// <remarks>
/// We parse notes ourselves instead of using LibObjectFile's note classes because its GetNoteType() maps numbers to
/// core-dump names (FACTS.md, "Libraries"); matching on the numeric type plus the owner name is what the ELF gABI
/// ("Note Section") specifies. Layout: namesz, descsz, type (4 bytes each), name padded to 4, desc padded to 4.
/// </remarks>
internal static class ElfNotes
{
    /// <summary>NT_GNU_BUILD_ID, owner "GNU" (binutils include/elf/common.h).</summary>
    public const uint GnuBuildIdType = 3;

    /// <summary>The Go linker's build-id note, owner "Go" (cmd/link/internal/ld/elf.go, ELF_NOTE_GOBUILDID_TAG).</summary>
    public const uint GoBuildIdType = 4;

    public readonly record struct Note(string Name, uint Type, byte[] Desc);

    public static IEnumerable<Note> Parse(byte[] data)
    {
        var pos = 0;
        while (pos + 12 <= data.Length)
        {
            var nameSize = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos));
            var descSize = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos + 4));
            var type = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos + 8));
            pos += 12;
            var nameEnd = (long)pos + nameSize;
            var descStart = pos + Align4(nameSize);
            var descEnd = descStart + (long)descSize;
            if (nameEnd > data.Length || descEnd > data.Length) yield break; // truncated: keep what was whole
            var name = Encoding.ASCII.GetString(data, pos, (int)nameSize).TrimEnd('\0');
            yield return new Note(name, type, data.AsSpan((int)descStart, (int)descSize).ToArray());
            pos = (int)(descStart + Align4(descSize));
        }
    }

    private static long Align4(uint n) => (n + 3L) & ~3L;
}
