using System.Buffers.Binary;
using System.Text;

namespace Calltape.Symbols;

/// <summary>Reads function names and entry addresses from .gopclntab, which stripped Go binaries keep
/// (FACTS.md "Go specifics"), so functions can be found without .symtab.</summary>
/// <remarks>
/// Layout per the runtime's pcHeader and functab (src/runtime/symtab.go, and debug/gosym for the versions):
/// an 8-byte prologue (magic u32, 2 pad bytes, minLC, ptrSize), then pointer-sized fields. Go 1.18+ (magic 0xfffffff0,
/// 0xfffffff1 from 1.20) has nfunc, nfiles, textStart, funcnameOffset, cuOffset, filetabOffset, pctabOffset,
/// pclnOffset, and a functab of (entryOff u32, funcOff u32) pairs relative to textStart; Go 1.16–1.17 (0xfffffffa)
/// has no textStart and a functab of (entry pc, funcOff) pointer-sized pairs. Each _func begins with the entry, then
/// nameOff (int32) into the function name table. The functab has nfunc+1 entries; the last holds the end PC.
/// The _func's flag byte (funcFlag_ASM = 4: written in assembly) follows entryOff, nameOff, args, deferreturn, pcsp,
/// pcfile, pcln, npcdata, cuOffset (9 × 4 bytes) and funcID: offset 37 in Go 1.18–1.19; Go 1.20 added startLine
/// before funcID, so 41 (runtime/symtab.go _func; internal/abi FuncFlagAsm). Go 1.16–1.17 tables: not read.
/// </remarks>
internal static class GoPclnTab
{
    private const uint Go116 = 0xfffffffa, Go118 = 0xfffffff0, Go120 = 0xfffffff1;
    private const byte FuncFlagAsm = 4;

    /// <param name="tab">The section bytes.</param>
    /// <param name="textSection">The .text address, used when textStart is 0 (left for a dynamic relocation in PIE).</param>
    public static List<FunctionSymbol> Read(byte[] tab, ulong textSection)
    {
        var result = new List<FunctionSymbol>();
        if (tab.Length < 8) return result;
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(tab);
        var ptrSize = tab[7];
        if (magic is not (Go116 or Go118 or Go120) || ptrSize != 8) return result; // older or 32-bit tables: not supported
        var modern = magic != Go116;

        var field = 0;
        ulong Next() => Word(tab, 8 + 8 * field++);
        var nfunc = Next();
        Next(); // nfiles
        var textStart = modern ? Next() : 0;
        var funcnameOffset = Next();
        Next(); // cuOffset
        Next(); // filetabOffset
        Next(); // pctabOffset
        var pclnOffset = Next();
        if (modern && textStart == 0) textStart = textSection;

        var entrySize = modern ? 8UL : 16UL;
        if (nfunc == 0 || pclnOffset + (nfunc + 1) * entrySize > (ulong)tab.Length) return result;
        for (ulong i = 0; i < nfunc; i++)
        {
            var at = (int)(pclnOffset + i * entrySize);
            ulong entry, end, funcOff;
            if (modern)
            {
                entry = textStart + BinaryPrimitives.ReadUInt32LittleEndian(tab.AsSpan(at));
                funcOff = BinaryPrimitives.ReadUInt32LittleEndian(tab.AsSpan(at + 4));
                end = textStart + BinaryPrimitives.ReadUInt32LittleEndian(tab.AsSpan(at + 8));
            }
            else
            {
                entry = Word(tab, at);
                funcOff = Word(tab, at + 8);
                end = Word(tab, at + 16);
            }
            var func = pclnOffset + funcOff;
            var nameField = func + (modern ? 4UL : 8UL);
            if (nameField + 4 > (ulong)tab.Length) continue;
            var nameOff = BinaryPrimitives.ReadInt32LittleEndian(tab.AsSpan((int)nameField));
            var name = CString(tab, funcnameOffset + (ulong)nameOff);
            var flagAt = func + (magic == Go120 ? 41UL : 37UL);
            var asm = modern && flagAt < (ulong)tab.Length && (tab[(int)flagAt] & FuncFlagAsm) != 0;
            if (name.Length > 0 && end >= entry) result.Add(new FunctionSymbol(name, entry, end - entry) { GoAssembly = asm });
        }
        return result;
    }

    private static ulong Word(byte[] tab, int at) =>
        at + 8 <= tab.Length ? BinaryPrimitives.ReadUInt64LittleEndian(tab.AsSpan(at)) : 0;

    private static string CString(byte[] tab, ulong offset)
    {
        if (offset >= (ulong)tab.Length) return "";
        var span = tab.AsSpan((int)offset);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }
}
