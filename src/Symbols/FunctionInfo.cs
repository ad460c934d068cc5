using Calltape.Capture.Model;

namespace Calltape.Symbols;

/// <summary>A function as DWARF describes it: name, entry address and formal parameters in declaration order.</summary>
public sealed record FunctionInfo(string Name, ulong LowPc, IReadOnlyList<ParamInfo> Params)
{
    /// <summary>DW_AT_producer of the compile unit holding the function (e.g. "Go cmd/compile go1.19.8; regabi").</summary>
    public string? Producer { get; init; }

    /// <summary>DW_AT_frame_base is DW_OP_call_frame_cfa (gcc, Go), so DW_OP_fbreg offsets are from the CFA; clang
    /// names a register instead (RSP or RBP after its prologue), which is not comparable at the entry PC.</summary>
    public bool FrameBaseIsCfa { get; init; }
}

/// <summary>One formal parameter; IsReturn marks Go results (DW_AT_variable_parameter = 1).</summary>
public sealed record ParamInfo(string Name, TypeDesc Type, bool IsReturn)
{
    /// <summary>DW_AT_location over the function's PCs; null without DWARF or when DWARF gives none.</summary>
    public ParamLocation? Location { get; init; }

    /// <summary>Where the value is at the function's entry PC (DW_AT_low_pc); null when DWARF does not say.</summary>
    public IReadOnlyList<LocationPiece>? EntryLocation { get; init; }

    /// <summary>A C++ class non-trivial for the purposes of calls: passed (or returned) through a hidden pointer (Planning/CxxAbi.cs).</summary>
    public bool PassedByReference { get; init; }

    /// <summary>A C++ class the unit only declares (no size, no layout: Planning/CxxDeclarations.cs): neither this value
    /// nor, by value, where the arguments after it are can be known.</summary>
    public bool IncompleteType { get; init; }
}
