using System.Buffers.Binary;
using System.Text;

namespace Calltape.Symbols;

/// <summary>One source position of a PC: the function, its file and line, and whether the compiler inlined it there.</summary>
public sealed record SourceFrame(string Function, string? File, int Line, bool Inlined);

/// <summary>Maps PCs of a Go binary to functions, file:line and inlined calls, from .gopclntab alone (Go 1.18+).</summary>
/// <remarks>
/// Layouts per src/runtime/symtab.go and runtime2.go of each version (and debug/gosym):
/// pcHeader (magic, minLC, ptrSize, nfunc, nfiles, textStart, funcnameOffset, cuOffset, filetabOffset, pctabOffset,
/// pclnOffset); functab pairs (entryOff, funcOff) relative to textStart; each _func is entryOff, nameOff, args,
/// deferreturn, pcsp, pcfile, pcln, npcdata, cuOffset, [startLine from Go 1.20, magic 0xfffffff1], funcID, flag,
/// pad, nfuncdata, then npcdata u32 offsets into pctab and nfuncdata u32 offsets from moduledata.gofunc.
/// A pc-value table is a sequence of (zigzag value delta, pc delta / minLC) uvarint pairs, starting at value -1.
/// Inlining: PCDATA_InlTreeIndex (2) at a PC indexes FUNCDATA_InlTree (3), an array of inlinedCall (Go 1.18-1.19:
/// parent i16, funcID, pad, file i32, line i32, nameOff i32, parentPc i32 = 20 bytes; Go 1.20+: funcID, pad[3],
/// nameOff i32, parentPc i32, startLine i32 = 16 bytes). The frame at a PC is the innermost inlined function; its
/// caller's position is that of entry + parentPc, looked up again, until the index is negative (runtime's
/// inlineUnwinder, and gosym's equivalent).
/// </remarks>
public sealed class GoLineTable
{
    private const uint Go118 = 0xfffffff0, Go120 = 0xfffffff1;
    private const int PcdataInlTreeIndex = 2, FuncdataInlTree = 3;

    private readonly byte[] _tab;
    private readonly bool _go120;
    private readonly int _minLC;
    private readonly ulong _nfunc, _textStart, _funcname, _cu, _filetab, _pctab, _pcln;
    private readonly Func<ulong, int, byte[]?>? _readGoFunc; // (offset from gofunc, length) -> bytes

    private GoLineTable(byte[] tab, bool go120, ulong textStart, Func<ulong, int, byte[]?>? readGoFunc)
    {
        _tab = tab;
        _go120 = go120;
        _minLC = tab[6];
        var field = 0;
        ulong Next() => Word(8 + 8 * field++);
        _nfunc = Next();
        Next(); // nfiles
        var ts = Next();
        _textStart = ts != 0 ? ts : textStart;
        _funcname = Next();
        _cu = Next();
        _filetab = Next();
        _pctab = Next();
        _pcln = Next();
        _readGoFunc = readGoFunc;
    }

    /// <summary>The table, or null when the section is not a Go 1.18+ 64-bit pclntab.</summary>
    /// <param name="textSection">.text's address, for a PIE whose textStart is left 0 for a dynamic relocation.</param>
    /// <param name="readGoFunc">Reads bytes at an offset from moduledata.gofunc (go:func.*), where inline trees live; null: no inlined frames.</param>
    public static GoLineTable? Open(byte[] tab, ulong textSection, Func<ulong, int, byte[]?>? readGoFunc)
    {
        if (tab.Length < 72) return null;
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(tab);
        if (magic is not (Go118 or Go120) || tab[7] != 8) return null;
        return new GoLineTable(tab, magic == Go120, textSection, readGoFunc);
    }

    /// <summary>The source frames at a PC, innermost first (inlined calls, then the function that holds the code); empty outside every function.</summary>
    public List<SourceFrame> Lookup(ulong pc)
    {
        var frames = new List<SourceFrame>();
        var func = FindFunc(pc);
        if (func < 0) return frames;
        var entry = _textStart + U32(func);
        var name = Name(I32(func + 4));
        var npcdata = U32(func + 28);
        var headerSize = _go120 ? 44L : 40L;
        var nfuncdata = _tab[(int)func + (int)headerSize - 1];
        var pcdataAt = func + headerSize;
        var funcdataAt = pcdataAt + 4L * npcdata;
        byte[]? tree = null;
        uint inlIndexTable = npcdata > PcdataInlTreeIndex ? U32(pcdataAt + 4 * PcdataInlTreeIndex) : 0;
        if (inlIndexTable != 0 && nfuncdata > FuncdataInlTree && _readGoFunc is not null)
        {
            var off = U32(funcdataAt + 4 * FuncdataInlTree);
            if (off != uint.MaxValue) tree = _readGoFunc(off, 1 << 16);
        }

        var at = pc;
        for (var guard = 0; guard < 64; guard++)
        {
            var (file, line) = Position(func, entry, at);
            var ix = tree is null ? -1 : PcValue(inlIndexTable, entry, at);
            var size = _go120 ? 16 : 20;
            if (ix < 0 || tree is null || (ix + 1) * size > tree.Length)
            {
                frames.Add(new SourceFrame(name, file, line, false));
                break;
            }
            var call = ix * size;
            var nameOff = BinaryPrimitives.ReadInt32LittleEndian(tree.AsSpan(call + (_go120 ? 4 : 12)));
            var parentPc = BinaryPrimitives.ReadInt32LittleEndian(tree.AsSpan(call + (_go120 ? 8 : 16)));
            frames.Add(new SourceFrame(Name(nameOff), file, line, true));
            at = entry + (ulong)parentPc;
        }
        return frames;
    }

    /// <summary>The pclntab offset of the _func holding pc, or -1 (binary search of the functab; entry nfunc holds the end).</summary>
    private long FindFunc(ulong pc)
    {
        if (pc < _textStart || _nfunc == 0) return -1;
        var rel = pc - _textStart;
        if (rel > uint.MaxValue || _pcln + (_nfunc + 1) * 8 > (ulong)_tab.Length) return -1;
        if (rel >= U32(_pcln + _nfunc * 8)) return -1;
        ulong lo = 0, hi = _nfunc; // find the last i with entry[i] <= rel
        while (hi - lo > 1)
        {
            var mid = (lo + hi) / 2;
            if (U32(_pcln + mid * 8) <= rel) lo = mid; else hi = mid;
        }
        if (U32(_pcln + lo * 8) > rel) return -1;
        var func = _pcln + U32(_pcln + lo * 8 + 4);
        return func + 48 <= (ulong)_tab.Length ? (long)func : -1;
    }

    private (string? File, int Line) Position(long func, ulong entry, ulong pc)
    {
        var fileNo = PcValue(U32(func + 20), entry, pc);
        var line = PcValue(U32(func + 24), entry, pc);
        string? file = null;
        if (fileNo >= 0)
        {
            var cuOffset = U32(func + 32);
            var at = _cu + 4 * ((ulong)cuOffset + (ulong)fileNo);
            if (at + 4 <= (ulong)_tab.Length)
            {
                var fileOff = U32((long)at);
                if (fileOff != uint.MaxValue) file = CString(_filetab + fileOff);
            }
        }
        return (file, Math.Max(0, line));
    }

    /// <summary>The value of a pc-value table at pc (runtime.pcvalue), or -1 when the table is absent or ends before pc.</summary>
    private int PcValue(uint table, ulong entry, ulong pc)
    {
        if (table == 0) return -1;
        var p = (int)(_pctab + table);
        var val = -1;
        var cur = entry;
        var first = true;
        while (p < _tab.Length)
        {
            var uv = Uvarint(ref p);
            if (uv == 0 && !first) return -1;
            first = false;
            val += (uv & 1) != 0 ? ~(int)(uv >> 1) : (int)(uv >> 1);
            cur += Uvarint(ref p) * (uint)_minLC;
            if (pc < cur) return val;
        }
        return -1;
    }

    private uint Uvarint(ref int p)
    {
        uint v = 0;
        for (var shift = 0; p < _tab.Length && shift < 35; shift += 7)
        {
            var b = _tab[p++];
            v |= (uint)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) break;
        }
        return v;
    }

    private string Name(int nameOff) => nameOff < 0 ? "?" : CString(_funcname + (ulong)nameOff);

    private ulong Word(int at) => at + 8 <= _tab.Length ? BinaryPrimitives.ReadUInt64LittleEndian(_tab.AsSpan(at)) : 0;
    private uint U32(long at) => at >= 0 && at + 4 <= _tab.Length ? BinaryPrimitives.ReadUInt32LittleEndian(_tab.AsSpan((int)at)) : 0;
    private uint U32(ulong at) => U32((long)at);
    private int I32(long at) => (int)U32(at);

    private string CString(ulong offset)
    {
        if (offset >= (ulong)_tab.Length) return "?";
        var span = _tab.AsSpan((int)offset);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }
}
