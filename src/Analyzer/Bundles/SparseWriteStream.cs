namespace Calltape.Analyzer.Bundles;

/// <summary>Writes to a file, seeking over aligned all-zero blocks instead of writing them, so they become holes.</summary>
/// <remarks>A bundled binary is mostly the zeros of its blanked code and data (<see cref="BinarySubset"/>); extracted
/// this way it takes the disk space of its debug subset, and reads back identical.</remarks>
internal sealed class SparseWriteStream(FileStream file) : Stream
{
    private const int Block = 4096;
    private readonly byte[] _pending = new byte[Block];
    private int _count;
    private long _length;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(Block - _count, buffer.Length);
            buffer[..n].CopyTo(_pending.AsSpan(_count));
            _count += n;
            buffer = buffer[n..];
            if (_count == Block) FlushBlock();
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    private void FlushBlock()
    {
        var block = _pending.AsSpan(0, _count);
        if (block.ContainsAnyExcept((byte)0)) file.Write(block);
        else file.Seek(_count, SeekOrigin.Current);
        _length += _count;
        _count = 0;
    }

    public override void Flush()
    {
        FlushBlock();
        file.SetLength(_length); // a trailing hole still counts in the file's length
        file.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Flush();
            file.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length + _count;
    public override long Position { get => Length; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
