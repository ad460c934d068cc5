using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Calltape.Capture;

namespace Calltape.Symbols;

/// <summary>Inflates compressed debug sections: SHF_COMPRESSED (zlib or zstd) and the legacy GNU .zdebug_* form.</summary>
/// <remarks>
/// zstd comes from libzstd.so.1 (package libzstd1, which apt itself depends on, so every Debian has it), called through
/// ZSTD_decompress of zstd.h: it decodes every frame of the buffer, which is what ld --compress-debug-sections=zstd and
/// objcopy write (binutils 2.40; gcc 12's -gz knows only zlib).
/// </remarks>
internal static partial class SectionInflater
{
    private const string LibZstd = "libzstd.so.1";

    private const uint ElfCompressZlib = 1; // ELFCOMPRESS_ZLIB, ELF gABI "Section Compression"
    private const uint ElfCompressZstd = 2; // ELFCOMPRESS_ZSTD

    /// <summary>
    /// SHF_COMPRESSED payload: an Elf64_Chdr (ch_type u32, ch_reserved u32, ch_size u64, ch_addralign u64 = 24 bytes,
    /// gABI "Section Compression") followed by the compressed stream. Go 1.19 and 1.26 both emit this with zlib.
    /// </summary>
    public static byte[] InflateChdr(byte[] raw, string section, string path)
    {
        if (raw.Length < 24) throw Corrupt(section, path);
        var type = BinaryPrimitives.ReadUInt32LittleEndian(raw);
        var size = BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(8));
        return type switch
        {
            ElfCompressZlib => Zlib(raw.AsSpan(24), size, section, path),
            ElfCompressZstd => Zstd(raw.AsSpan(24), size, section, path),
            _ => throw new CalltapeException($"{path}: section {section} uses unknown compression type {type}", ExitCodes.Unsupported),
        };
    }

    /// <summary>Legacy .zdebug_*: the magic "ZLIB", the uncompressed size as 8 big-endian bytes, then zlib (binutils bfd/compress.c).</summary>
    public static byte[] InflateZdebug(byte[] raw, string section, string path)
    {
        if (raw.Length < 12 || raw[0] != 'Z' || raw[1] != 'L' || raw[2] != 'I' || raw[3] != 'B')
            return raw; // gold/ld leave small sections uncompressed under a .zdebug name when compression would not help
        var size = BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(4));
        return Zlib(raw.AsSpan(12), size, section, path);
    }

    private static byte[] Zlib(ReadOnlySpan<byte> data, ulong size, string section, string path)
    {
        if (size > int.MaxValue) throw Corrupt(section, path);
        var result = new byte[size];
        try
        {
            using var input = new MemoryStream(data.ToArray(), writable: false);
            using var z = new ZLibStream(input, CompressionMode.Decompress);
            var done = 0;
            while (done < result.Length)
            {
                var n = z.Read(result, done, result.Length - done);
                if (n == 0) break;
                done += n;
            }
            if (done != result.Length) throw Corrupt(section, path);
        }
        catch (InvalidDataException e)
        {
            throw new CalltapeException($"{path}: section {section} does not inflate: {e.Message}", ExitCodes.BadInput, e);
        }
        return result;
    }

    private static byte[] Zstd(ReadOnlySpan<byte> data, ulong size, string section, string path)
    {
        if (size > int.MaxValue) throw Corrupt(section, path);
        var result = new byte[size];
        nuint n;
        try
        {
            n = ZstdDecompress(ref MemoryMarshal.GetArrayDataReference(result), (nuint)result.Length,
                ref MemoryMarshal.GetReference(data), (nuint)data.Length);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new CalltapeException($"{path}: section {section} is zstd-compressed and {LibZstd} cannot be loaded (install libzstd1)",
                ExitCodes.Unsupported, e);
        }
        if (ZstdIsError(n) != 0)
            throw new CalltapeException($"{path}: section {section} does not decompress: {Marshal.PtrToStringUTF8(ZstdGetErrorName(n))}", ExitCodes.BadInput);
        if (n != (nuint)result.Length) throw Corrupt(section, path);
        return result;
    }

    [LibraryImport(LibZstd, EntryPoint = "ZSTD_decompress")]
    private static partial nuint ZstdDecompress(ref byte dst, nuint dstCapacity, ref byte src, nuint srcSize);

    [LibraryImport(LibZstd, EntryPoint = "ZSTD_isError")]
    private static partial uint ZstdIsError(nuint code);

    [LibraryImport(LibZstd, EntryPoint = "ZSTD_getErrorName")]
    private static partial nint ZstdGetErrorName(nuint code);

    private static CalltapeException Corrupt(string section, string path) =>
        new($"{path}: compressed section {section} is truncated or corrupt", ExitCodes.BadInput);
}
