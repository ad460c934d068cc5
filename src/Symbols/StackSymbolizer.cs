namespace Calltape.Symbols;

/// <summary>One frame of a symbolized stack: several frames share an address when calls were inlined there.</summary>
/// <param name="Depth">0 is the innermost frame (the probed function); inlined frames count as frames.</param>
/// <param name="Address">The recorded address (runtime, not link-time): the probed IP, then return addresses.</param>
/// <param name="Function">The function, or null when no binary at hand covers the address.</param>
/// <param name="Inlined">The compiler inlined this function into the next (outer) frame at this address.</param>
public sealed record StackFrame(int Depth, ulong Address, string? Function, string? File, int Line, bool Inlined);

/// <summary>Symbolizes a recorded user stack: pure, given the load bias and a lookup of link-time addresses.</summary>
public static class StackSymbolizer
{
    /// <summary>
    /// The load bias of a binary in a process, from a recorded stack's frame 0, which is the probed instruction:
    /// runtime IP minus the link-time address of the probe (symbol address + probe offset). 0 for a non-PIE binary.
    /// </summary>
    public static ulong Bias(ulong frame0, ulong probeVaddr) => frame0 - probeVaddr;

    /// <summary>
    /// Expands raw frames into source frames, innermost first. Return addresses (every frame after 0) are looked up
    /// at address - 1, inside the call instruction, as debuggers and Go's runtime.CallersFrames do.
    /// </summary>
    /// <param name="lookup">Runtime address (already minus one for return addresses) to source frames (innermost
    /// first), or null/empty when no binary at hand covers it.</param>
    public static List<StackFrame> Symbolize(IReadOnlyList<ulong> frames, Func<ulong, IReadOnlyList<SourceFrame>?> lookup)
    {
        var result = new List<StackFrame>(frames.Count);
        for (var i = 0; i < frames.Count; i++)
        {
            var addr = frames[i];
            var source = lookup(addr - (i == 0 ? 0UL : 1UL));
            if (source is null || source.Count == 0)
            {
                result.Add(new StackFrame(result.Count, addr, null, null, 0, false));
                continue;
            }
            foreach (var s in source) result.Add(new StackFrame(result.Count, addr, s.Function, s.File, s.Line, s.Inlined));
        }
        return result;
    }

    /// <summary>The name folded output and replay show for a frame: its function, else its address.</summary>
    public static string DisplayName(StackFrame f) => f.Function ?? $"0x{f.Address:x}";
}
