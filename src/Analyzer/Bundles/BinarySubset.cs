using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Calltape.Analyzer.Bundles;

/// <summary>Writes a traced binary as bundles keep it: the debug subset, with code and data blanked.</summary>
/// <remarks>
/// Offline, the analyzer reads a binary's build-id notes, symbol tables (.symtab/.dynsym), .gopclntab and DWARF;
/// nothing in it reads code or data (no disassembly: probes were planned at record time and the plan is in the
/// capture). So every allocated PROGBITS section except the ones those readers need becomes SHT_NOBITS and its bytes
/// are zeroed. File offsets, program headers and addresses stay exactly as in the original, so symbols, file offsets
/// and DWARF decode the same, and a reader asking for .text gets no data instead of wrong bytes. The zeros cost
/// nothing in the zip (deflate) and are skipped when a bundle is extracted (<see cref="SparseWriteStream"/>). Unlike
/// objcopy --only-keep-debug, .gopclntab (the only function table of a stripped Go binary) keeps its bytes.
/// ELF64 little-endian layout: System V gABI, "ELF Header" and "Sections".
/// </remarks>
internal static class BinarySubset
{
    private const uint ShtProgbits = 1, ShtNobits = 8, ShtInitArray = 14, ShtFiniArray = 15, ShtPreinitArray = 16;
    private const ulong ShfAlloc = 0x2;

    /// <summary>Allocated sections kept with their bytes: what symbolizing, build-ids and unwinding read.</summary>
    private static readonly string[] KeptAllocated = [".gopclntab", ".go.buildinfo", ".gosymtab", ".eh_frame", ".eh_frame_hdr", ".interp"];

    /// <summary>A section header: where it is in the file, and the range of file bytes it describes.</summary>
    private readonly record struct Section(string Name, uint Type, ulong Flags, long Offset, long Size, long HeaderAt);

    /// <summary>The sections a subset blanks (name, file offset, size), and where their sh_type fields are; empty when
    /// the file is not a well-formed ELF64 little-endian file (it is then copied whole).</summary>
    public static List<(string Name, long Offset, long Size, long TypeAt)> Blanked(string path)
    {
        using var f = File.OpenHandle(path);
        return Blanked(f);
    }

    private static List<(string Name, long Offset, long Size, long TypeAt)> Blanked(SafeFileHandle f)
    {
        var result = new List<(string, long, long, long)>();
        var length = RandomAccess.GetLength(f);
        var eh = new byte[64];
        if (length < 64 || RandomAccess.Read(f, eh, 0) < 64 || !eh.AsSpan(0, 4).SequenceEqual("\u007fELF"u8) || eh[4] != 2 || eh[5] != 1)
            return result;
        var phoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(eh.AsSpan(0x20));
        var shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(eh.AsSpan(0x28));
        var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(eh.AsSpan(0x36));
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(eh.AsSpan(0x38));
        var shentsize = BinaryPrimitives.ReadUInt16LittleEndian(eh.AsSpan(0x3a));
        var shnum = BinaryPrimitives.ReadUInt16LittleEndian(eh.AsSpan(0x3c));
        var shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(eh.AsSpan(0x3e));
        if (shoff <= 0 || shentsize < 64 || shnum == 0 || shstrndx >= shnum || shoff + (long)shentsize * shnum > length) return result;
        var sh = new byte[shentsize * shnum];
        if (RandomAccess.Read(f, sh, shoff) < sh.Length) return result;
        var strOff = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh.AsSpan(shstrndx * shentsize + 0x18));
        var strSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh.AsSpan(shstrndx * shentsize + 0x20));
        if (strOff < 0 || strSize <= 0 || strSize > 1 << 24 || strOff + strSize > length) return result;
        var names = new byte[strSize];
        RandomAccess.Read(f, names, strOff);

        var sections = new List<Section>();
        for (var i = 1; i < shnum; i++)
        {
            var h = sh.AsSpan(i * shentsize, shentsize);
            sections.Add(new Section(NameAt(names, BinaryPrimitives.ReadUInt32LittleEndian(h)), BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[8..]), (long)BinaryPrimitives.ReadUInt64LittleEndian(h[0x18..]),
                (long)BinaryPrimitives.ReadUInt64LittleEndian(h[0x20..]), shoff + (long)i * shentsize));
        }
        bool Blank(Section s) => (s.Flags & ShfAlloc) != 0 && s.Type is ShtProgbits or ShtInitArray or ShtFiniArray or ShtPreinitArray
            && !KeptAllocated.Contains(s.Name) && !s.Name.StartsWith(".note", StringComparison.Ordinal)
            && s.Size > 0 && s.Offset >= 64 && s.Offset + s.Size <= length;
        // Bytes that must survive whatever the sections say: the headers, and every section that keeps its data.
        var keep = new List<(long From, long To)> { (0, 64), (phoff, phoff + (long)phentsize * phnum), (shoff, shoff + (long)shentsize * shnum) };
        keep.AddRange(sections.Where(s => !Blank(s) && s.Type != ShtNobits).Select(s => (s.Offset, s.Offset + s.Size)));
        foreach (var s in sections.Where(Blank))
            if (!keep.Any(k => k.From < s.Offset + s.Size && s.Offset < k.To))
                result.Add((s.Name, s.Offset, s.Size, s.HeaderAt + 4));
        return result;
    }

    /// <summary>Copies <paramref name="path"/> to <paramref name="output"/> as its subset; returns the bytes kept (not blanked).</summary>
    public static long Write(string path, Stream output)
    {
        using var f = File.OpenHandle(path);
        var blanked = Blanked(f);
        var length = RandomAccess.GetLength(f);
        Span<byte> nobits = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(nobits, ShtNobits);
        var buf = new byte[1 << 20];
        long pos = 0;
        while (pos < length)
        {
            var n = RandomAccess.Read(f, buf, pos);
            if (n == 0) break;
            var span = buf.AsSpan(0, n);
            foreach (var (_, off, size, typeAt) in blanked)
            {
                var from = Math.Max(off, pos);
                var to = Math.Min(off + size, pos + n);
                if (from < to) span[(int)(from - pos)..(int)(to - pos)].Clear();
                for (var k = 0; k < 4; k++) // sh_type = SHT_NOBITS, byte by byte: the field may straddle two blocks
                    if (typeAt + k >= pos && typeAt + k < pos + n) span[(int)(typeAt + k - pos)] = nobits[k];
            }
            output.Write(span);
            pos += n;
        }
        return length - blanked.Sum(b => b.Size);
    }

    private static string NameAt(byte[] strtab, uint offset)
    {
        if (offset >= strtab.Length) return "";
        var end = Array.IndexOf(strtab, (byte)0, (int)offset);
        return System.Text.Encoding.ASCII.GetString(strtab, (int)offset, (end < 0 ? strtab.Length : end) - (int)offset);
    }
}
