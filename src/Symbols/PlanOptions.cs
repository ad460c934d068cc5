namespace Calltape.Symbols;

/// <summary>Knobs for probe planning: how many bytes of each string to copy.</summary>
public sealed record PlanOptions(int StringMax = 256);
