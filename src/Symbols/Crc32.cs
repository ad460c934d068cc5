namespace Calltape.Symbols;

/// <summary>CRC-32 (IEEE 802.3, reflected 0xEDB88320): zip entries (bundles) and .gnu_debuglink's checksum (gdb's
/// gnu_debuglink_crc32 is the same function).</summary>
/// <remarks>Hand-rolled because the BCL's System.IO.Hashing is a separate package and a table is ten lines.</remarks>
public static class Crc32
{
    private static readonly uint[] Table = Build();

    /// <summary>The CRC of what came before (0 for nothing) extended by <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var c = ~crc;
        foreach (var b in data) c = Table[(c ^ b) & 0xff] ^ (c >> 8);
        return ~c;
    }

    private static uint[] Build()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }
}
