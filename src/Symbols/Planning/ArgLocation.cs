using Calltape.Capture.Model;

namespace Calltape.Symbols.Planning;

/// <summary>Where an ABI put one argument at function entry: integer registers (in eightbyte order) and/or float
/// registers, or a byte offset in the caller's outgoing argument area (entry SP + 8 + StackOffset).</summary>
internal sealed record ArgLocation(IReadOnlyList<Reg> IntRegs, int FloatRegs, long StackOffset)
{
    public bool OnStack => StackOffset >= 0;

    public static ArgLocation InRegisters(IReadOnlyList<Reg> ints, int floats) => new(ints, floats, -1);

    public static ArgLocation Stack(long offset) => new([], 0, offset);
}
