using Calltape.Capture.Model;

namespace Calltape.Symbols;

/// <summary>What one operation of a DWARF location description names (DWARF 5 §2.6.1).</summary>
public enum LocationKind : byte
{
    /// <summary>DW_OP_regN / DW_OP_regx: the value is in a register.</summary>
    Register,
    /// <summary>DW_OP_fbreg: in memory at the frame base (DW_AT_frame_base) plus Offset.</summary>
    FrameBase,
    /// <summary>DW_OP_bregN / DW_OP_bregx: in memory at a register plus Offset.</summary>
    RegisterOffset,
    /// <summary>DW_OP_addr: in memory at a fixed address (Offset).</summary>
    Address,
    /// <summary>A piece with no location (DW_OP_piece alone): optimized out.</summary>
    Empty,
    /// <summary>Any other expression (computed values, entry values, DW_OP_stack_value): not a place to read.</summary>
    Computed,
}

/// <summary>One piece of a value: where it is and, for DW_OP_piece, how many bytes (0 = the whole value).</summary>
/// <param name="DwarfRegister">The DWARF register number (SysV psABI x86-64 Figure 3.36) for Register and RegisterOffset.</param>
public sealed record LocationPiece(LocationKind Kind, int DwarfRegister, long Offset, int Size)
{
    /// <summary>The pt_regs register a DWARF register number names, or null (RA, XMM and others).</summary>
    /// <remarks>SysV psABI x86-64 Figure 3.36: 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8–15 r8–r15.</remarks>
    public Reg? Register => DwarfRegister switch
    {
        0 => Reg.Rax, 1 => Reg.Rdx, 2 => Reg.Rcx, 3 => Reg.Rbx, 4 => Reg.Rsi, 5 => Reg.Rdi, 6 => Reg.Rbp, 7 => Reg.Rsp,
        >= 8 and <= 15 => (Reg)((int)Reg.R8 + DwarfRegister - 8),
        _ => null,
    };

    public override string ToString() => Kind switch
    {
        LocationKind.Register => Name(),
        LocationKind.FrameBase => $"fbreg{Offset:+0;-0}",
        LocationKind.RegisterOffset => $"[{Name()}{Offset:+0;-0}]",
        LocationKind.Address => $"[0x{Offset:x}]",
        LocationKind.Empty => "optimized out",
        _ => "computed",
    } + (Size > 0 ? $":{Size}" : "");

    /// <summary>psABI Figure 3.36 names: 17–32 are xmm0–xmm15, which BPF cannot read (FACTS.md "Go specifics").</summary>
    private string Name() => Register is { } r ? r.ToString().ToLowerInvariant()
        : DwarfRegister is >= 17 and <= 32 ? $"xmm{DwarfRegister - 17}" : $"dwreg{DwarfRegister}";
}

/// <summary>A location valid for PCs in [Low, High); a single-expression DW_AT_location covers every PC.</summary>
public sealed record LocationRange(ulong Low, ulong High, IReadOnlyList<LocationPiece> Pieces)
{
    public bool Covers(ulong pc) => pc >= Low && pc < High;
}

/// <summary>A parameter's DW_AT_location: one expression, or a location list (.debug_loc, .debug_loclists).</summary>
public sealed record ParamLocation(IReadOnlyList<LocationRange> Ranges)
{
    /// <summary>The pieces at a PC, or null when no entry covers it (the value is not available there).</summary>
    public IReadOnlyList<LocationPiece>? At(ulong pc) => Ranges.FirstOrDefault(r => r.Covers(pc))?.Pieces;

    /// <summary>readelf-like text: "[lo, hi) rdi; ..." for tests and notes.</summary>
    public override string ToString() =>
        string.Join("; ", Ranges.Select(r => $"[0x{r.Low:x}, 0x{r.High:x}) {string.Join(" ", r.Pieces)}"));
}
