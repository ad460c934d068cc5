using System.Buffers.Binary;
using System.Text;

namespace Calltape.Symbols.Dwarf;

/// <summary>A little-endian read cursor over one DWARF section, with LEB128 (DWARF 5 §7.6) and offset-size reads.</summary>
/// <param name="end">Where reads stop (one unit of a section); the section's end by default.</param>
internal sealed class DwarfCursor(byte[] data, string section, int end = -1)
{
    public byte[] Data { get; } = data;
    public int Position { get; set; }
    public int End { get; } = end < 0 || end > data.Length ? data.Length : end;
    public bool AtEnd => Position >= End;

    public byte U8() { Need(1); return Data[Position++]; }
    public ushort U16() { Need(2); var v = BinaryPrimitives.ReadUInt16LittleEndian(Data.AsSpan(Position)); Position += 2; return v; }
    public uint U24() { Need(3); var v = (uint)(Data[Position] | Data[Position + 1] << 8 | Data[Position + 2] << 16); Position += 3; return v; }
    public uint U32() { Need(4); var v = BinaryPrimitives.ReadUInt32LittleEndian(Data.AsSpan(Position)); Position += 4; return v; }
    public ulong U64() { Need(8); var v = BinaryPrimitives.ReadUInt64LittleEndian(Data.AsSpan(Position)); Position += 8; return v; }

    /// <summary>A section offset: 4 bytes in 32-bit DWARF, 8 in 64-bit DWARF (DWARF 5 §7.4).</summary>
    public ulong Offset(bool dwarf64) => dwarf64 ? U64() : U32();

    /// <summary>A target address of the unit's address_size.</summary>
    public ulong Address(int size) => size switch { 8 => U64(), 4 => U32(), 2 => U16(), 1 => U8(), _ => throw Bad($"address size {size}") };

    public ulong Uleb()
    {
        ulong result = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = U8();
            if (shift < 64) result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
    }

    public long Sleb()
    {
        long result = 0;
        var shift = 0;
        byte b;
        do
        {
            b = U8();
            if (shift < 64) result |= (long)(b & 0x7f) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        if (shift < 64 && (b & 0x40) != 0) result |= -1L << shift;
        return result;
    }

    public void Skip(ulong n)
    {
        if (Position < 0 || n > (ulong)(End - Position)) throw Bad("attribute runs past the end of the section");
        Position += (int)n;
    }

    /// <summary>The NUL-terminated string at an offset of this section.</summary>
    public string CString(ulong offset)
    {
        if (offset >= (ulong)Data.Length) throw Bad($"string offset 0x{offset:x} out of range");
        var span = Data.AsSpan((int)offset);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }

    /// <summary>A NUL-terminated string at the cursor (DW_FORM_string, line table file names), consumed with its NUL.</summary>
    public string InlineString()
    {
        Need(0);
        var span = Data.AsSpan(Position, End - Position);
        var n = span.IndexOf((byte)0);
        if (n < 0) throw Bad("unterminated string");
        Position += n + 1;
        return Encoding.UTF8.GetString(span[..n]);
    }

    public InvalidDataException Bad(string what) => new($"{section}: {what} at offset 0x{Position:x}");

    private void Need(int n)
    {
        if (Position < 0 || Position + n > End) throw Bad("unexpected end of section");
    }
}
