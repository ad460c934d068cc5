using Calltape.Capture.Model;

namespace Calltape.Symbols;

/// <summary>A function as DWARF describes it: name, entry address and formal parameters in declaration order.</summary>
public sealed record FunctionInfo(string Name, ulong LowPc, IReadOnlyList<ParamInfo> Params)
{
    /// <summary>DW_AT_producer of the compile unit holding the function (e.g. "Go cmd/compile go1.19.8; regabi").</summary>
    public string? Producer { get; init; }
}

/// <summary>One formal parameter; IsReturn marks Go results (DW_AT_variable_parameter = 1).</summary>
public sealed record ParamInfo(string Name, TypeDesc Type, bool IsReturn)
{
    /// <summary>A C++ class non-trivial for the purposes of calls: passed (or returned) through a hidden pointer (Planning/CxxAbi.cs).</summary>
    public bool PassedByReference { get; init; }
}
