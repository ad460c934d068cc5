using Iced.Intel;

namespace Calltape.Symbols;

/// <summary>Finds the RET instructions of a function, where Go exit probes go (FACTS.md "Go specifics").</summary>
/// <remarks>
/// A uretprobe on a Go function crashes the program once its goroutine's stack grows ("fatal error: unknown caller
/// pc"): the kernel replaces the return address on the stack, and the Go runtime's stack copier and unwinder read it.
/// A plain uprobe on each RET changes nothing on the stack. Go emits no data inside a function's text
/// (cmd/internal/obj lays out instructions only; constants live in rodata), so a linear sweep decodes every
/// instruction of the symbol.
/// </remarks>
public static class GoReturns
{
    /// <summary>Byte offsets from <paramref name="address"/> of every RET (near, with or without an immediate) in the code.</summary>
    public static IReadOnlyList<int> FindRetOffsets(byte[] code, ulong address)
    {
        var result = new List<int>();
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code), address);
        var end = address + (ulong)code.Length;
        while (decoder.IP < end)
        {
            decoder.Decode(out var ins);
            if (ins.IsInvalid) continue; // padding or a truncated tail: keep sweeping, an invalid byte is never a RET
            if (ins.Mnemonic == Mnemonic.Ret) result.Add((int)(ins.IP - address));
        }
        return result;
    }
}
