using System.Text;

namespace Calltape.Analyzer.Conversion;

/// <summary>The text of one row group's string cells, copied into a few reused char blocks.</summary>
/// <remarks>
/// A row group holds a million cells for a second or more. As strings, each would survive a few gen0 collections and be
/// promoted, and promotion was most of the garbage collector's time (bench/convert.sh: 6.9 s of GC pauses for 10 M
/// events). Here, cells are written straight into the blocks (decoded UTF-8, built JSON) and no string exists per
/// event at all; Parquet.Net takes ReadOnlyMemory&lt;char&gt; cells as they are.
/// </remarks>
internal sealed class TextBuffer
{
    /// <summary>Chars per block: 512 KiB, so a row group of short values needs a handful of blocks, reused forever.</summary>
    private const int BlockChars = 256 * 1024;

    /// <summary>Longer values get an array of their own, so one huge cell does not waste most of a block.</summary>
    private const int MaxInBlock = BlockChars / 4;

    private readonly List<char[]> _blocks = [];
    private int _block = -1;
    private int _pos = BlockChars;

    /// <summary>A copy of <paramref name="s"/> valid until <see cref="Reset"/>.</summary>
    public ReadOnlyMemory<char> Add(string s) => s.Length > MaxInBlock ? s.AsMemory() : Add(s.AsSpan());

    /// <summary>A copy of <paramref name="s"/> valid until <see cref="Reset"/>.</summary>
    public ReadOnlyMemory<char> Add(ReadOnlySpan<char> s)
    {
        if (s.Length == 0) return ReadOnlyMemory<char>.Empty;
        if (s.Length > MaxInBlock) return s.ToArray();
        var block = Room(s.Length);
        s.CopyTo(block.AsSpan(_pos));
        var m = new ReadOnlyMemory<char>(block, _pos, s.Length);
        _pos += s.Length;
        return m;
    }

    /// <summary>UTF-8 bytes decoded into a cell valid until <see cref="Reset"/>, exactly as Encoding.UTF8.GetString decodes
    /// them (invalid sequences become U+FFFD).</summary>
    public ReadOnlyMemory<char> AddUtf8(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0) return ReadOnlyMemory<char>.Empty;
        // UTF-8 never decodes to more UTF-16 chars than it has bytes, so the byte count is room enough.
        if (utf8.Length > MaxInBlock) return Encoding.UTF8.GetString(utf8).AsMemory();
        var block = Room(utf8.Length);
        var n = Encoding.UTF8.GetChars(utf8, block.AsSpan(_pos));
        var m = new ReadOnlyMemory<char>(block, _pos, n);
        _pos += n;
        return m;
    }

    /// <summary>Starts a cell written in place (<see cref="ArgsJson"/>): the chars from <paramref name="start"/> on in the
    /// returned array are the writer's until <see cref="Close"/>; nothing else may be added in between.</summary>
    /// <remarks>In place, because building a row's JSON elsewhere and copying it in was 2% of convert's samples.</remarks>
    public char[] Open(out int start)
    {
        var block = Room(OpenRoom);
        start = _pos;
        return block;
    }

    /// <summary>Chars an opened cell can grow by before <see cref="Grow"/> moves it (most JSON cells are shorter).</summary>
    private const int OpenRoom = 256;

    /// <summary>Moves an open cell of <paramref name="written"/> chars to where <paramref name="need"/> more fit: the next
    /// block, or an array of its own once it outgrows a block's share.</summary>
    public char[] Grow(char[] cell, int start, int written, int need, out int newStart)
    {
        char[] dest;
        if (written + need <= MaxInBlock)
        {
            _pos = BlockChars; // the open cell's chars stay behind, unused, until Reset
            dest = Room(written + need);
            newStart = _pos;
        }
        else
        {
            dest = new char[Math.Max(written + need, 2 * written)];
            newStart = 0;
        }
        cell.AsSpan(start, written).CopyTo(dest.AsSpan(newStart));
        return dest;
    }

    /// <summary>Ends a cell opened by <see cref="Open"/> (and perhaps moved by <see cref="Grow"/>) as <paramref name="length"/> chars.</summary>
    public ReadOnlyMemory<char> Close(char[] cell, int start, int length)
    {
        if (_block >= 0 && ReferenceEquals(cell, _blocks[_block])) _pos = start + length;
        return new ReadOnlyMemory<char>(cell, start, length);
    }

    /// <summary>The current block, moving to the next one when fewer than <paramref name="chars"/> are left.</summary>
    private char[] Room(int chars)
    {
        if (_pos + chars > BlockChars)
        {
            _block++;
            if (_block == _blocks.Count) _blocks.Add(new char[BlockChars]);
            _pos = 0;
        }
        return _blocks[_block];
    }

    /// <summary>Makes every block free again; the memory handed out before must no longer be read.</summary>
    public void Reset()
    {
        _block = -1;
        _pos = BlockChars;
    }
}
