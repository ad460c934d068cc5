namespace Calltape.Analyzer.Conversion;

/// <summary>The text of one row group's string cells, copied into a few reused char blocks.</summary>
/// <remarks>
/// A row group holds a million cells for a second or more. As strings, each would survive a few gen0 collections and be
/// promoted, and promotion was most of the garbage collector's time (bench/convert.sh: 6.9 s of GC pauses for 10 M
/// events). Copied here, the decoders' strings die young; Parquet.Net takes ReadOnlyMemory&lt;char&gt; cells as they are.
/// </remarks>
internal sealed class TextBuffer
{
    /// <summary>Chars per block: 512 KiB, so a row group of short values needs a handful of blocks, reused forever.</summary>
    private const int BlockChars = 256 * 1024;

    private readonly List<char[]> _blocks = [];
    private int _block = -1;
    private int _pos = BlockChars;

    /// <summary>A copy of <paramref name="s"/> valid until <see cref="Reset"/>.</summary>
    public ReadOnlyMemory<char> Add(string s)
    {
        if (s.Length == 0) return ReadOnlyMemory<char>.Empty;
        if (s.Length > BlockChars / 4) return s.AsMemory(); // rare long value: keep the string itself
        if (_pos + s.Length > BlockChars)
        {
            _block++;
            if (_block == _blocks.Count) _blocks.Add(new char[BlockChars]);
            _pos = 0;
        }
        var block = _blocks[_block];
        s.CopyTo(0, block, _pos, s.Length);
        var m = new ReadOnlyMemory<char>(block, _pos, s.Length);
        _pos += s.Length;
        return m;
    }

    /// <summary>Makes every block free again; the memory handed out before must no longer be read.</summary>
    public void Reset()
    {
        _block = -1;
        _pos = BlockChars;
    }
}
