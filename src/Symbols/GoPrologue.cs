using Iced.Intel;

namespace Calltape.Symbols;

/// <summary>Finds where to put a Go entry probe: just after the stack-growth check (FACTS.md "Go specifics").</summary>
/// <remarks>
/// An entry probe on the first instruction fires twice whenever the check calls runtime.morestack, because the
/// function restarts from its entry after the stack is grown. The Go compiler (cmd/internal/obj/x86/obj6.go,
/// stacksplit) emits, before anything else:
///   small frame:  CMPQ SP, 16(R14)                      ; cmp rsp, [r14+0x10]  (g.stackguard0)
///   large frame:  LEAQ -x(SP), R12; CMPQ R12, 16(R14)   ; lea r12, [rsp-x]; cmp r12, [r14+0x10]
///   huge frame:   MOVQ SP, R12; SUBQ $x, R12; JCS ...; CMPQ R12, 16(R14)
/// each followed by JLS (jbe) to the morestack call at the end of the function. Before the register ABI (Go &lt; 1.17)
/// g came from TLS (MOVQ (TLS), CX) into another register, which is tracked too.
/// </remarks>
public static class GoPrologue
{
    private const int MaxPrologueInstructions = 8; // the check is always among the first few instructions
    private const int StackGuardOffset = 16;       // offsetof(runtime.g, stackguard0) = 16 on 64-bit (runtime/runtime2.go)

    /// <summary>
    /// Bytes from the function start to the first instruction after the stack-check branch (0 when there is no
    /// check), and how many bytes were pushed below the entry SP by then (normally 0).
    /// </summary>
    public static (int Offset, int StackAdjust) FindProbePoint(byte[] code, ulong address)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code), address);
        // Registers known to hold SP (minus a frame size) and registers known to hold g. Requiring both keeps an
        // ordinary "cmp reg, [reg+16]; jbe" in a function without a stack check from being mistaken for one.
        var spLike = new HashSet<Register> { Register.RSP };
        var gRegs = new HashSet<Register> { Register.R14 }; // ABIInternal keeps g in R14 (abi-internal.md, amd64)
        var stackAdjust = 0;
        var sawCompare = false;
        for (var i = 0; i < MaxPrologueInstructions && decoder.IP < address + (ulong)code.Length; i++)
        {
            decoder.Decode(out var ins);
            if (ins.IsInvalid) break;
            if (sawCompare)
            {
                if (ins.FlowControl != FlowControl.ConditionalBranch || ins.ConditionCode is not (ConditionCode.be or ConditionCode.b))
                    break; // something else between the compare and its branch: not the pattern
                var offset = (int)(ins.NextIP - address);
                return offset <= code.Length ? (offset, stackAdjust) : (0, 0);
            }
            if (IsStackGuardCompare(ins, spLike, gRegs)) { sawCompare = true; continue; }
            if (!TrackPrologue(ins, spLike, gRegs, ref stackAdjust)) break;
        }
        return (0, 0);
    }

    /// <summary>Follows the instructions the compiler may put before the compare; false for anything else.</summary>
    private static bool TrackPrologue(in Instruction ins, HashSet<Register> spLike, HashSet<Register> gRegs, ref int stackAdjust)
    {
        switch (ins.Mnemonic)
        {
            case Mnemonic.Push:
                stackAdjust += 8; // counted so stack offsets at the probe point can be corrected
                return true;
            case Mnemonic.Lea when ins.Op0Kind == OpKind.Register && spLike.Contains(ins.MemoryBase) && ins.MemoryIndex == Register.None:
            case Mnemonic.Mov when ins.Op0Kind == OpKind.Register && ins.Op1Kind == OpKind.Register && spLike.Contains(ins.Op1Register):
                spLike.Add(ins.Op0Register);
                return true;
            case Mnemonic.Sub when ins.Op0Kind == OpKind.Register && ins.Op0Register != Register.RSP && spLike.Contains(ins.Op0Register):
                return true;
            case Mnemonic.Mov when ins.Op0Kind == OpKind.Register && ins.Op1Kind == OpKind.Memory && ins.SegmentPrefix == Register.FS:
                gRegs.Add(ins.Op0Register); // Go < 1.17: g loaded from thread-local storage
                return true;
            default:
                // The huge-frame variant branches away when SP - framesize wraps around.
                return ins.FlowControl == FlowControl.ConditionalBranch;
        }
    }

    /// <summary>cmp SPREG, [G+16]: Go's CMPQ SP|R12, 16(g).</summary>
    private static bool IsStackGuardCompare(in Instruction ins, HashSet<Register> spLike, HashSet<Register> gRegs) =>
        ins.Mnemonic == Mnemonic.Cmp &&
        ins.Op0Kind == OpKind.Register && spLike.Contains(ins.Op0Register) &&
        ins.Op1Kind == OpKind.Memory && gRegs.Contains(ins.MemoryBase) && ins.MemoryIndex == Register.None &&
        ins.MemoryDisplacement64 == StackGuardOffset;
}
