using Calltape.Analyzer.Binaries;
using Calltape.Capture;
using Calltape.Capture.Model;
using Calltape.Symbols;

namespace Calltape.Analyzer.Stacks;

/// <summary>Symbolizes a capture's user stacks offline with the traced binaries found by build-id (BinaryCheck).</summary>
/// <remarks>
/// A stack's frame 0 is the probed instruction, so the probed binary's load bias in that process is frame 0 minus the
/// probe's link-time address (<see cref="StackSymbolizer.Bias"/>), which needs no mappings. Frames elsewhere are
/// placed with the mapping items the recorder wrote (the session's other binaries as /proc/PID/maps showed them):
/// file offset = address - start + offset, then the PT_LOAD holding that offset. Frames in no traced binary (libc,
/// the dynamic loader) keep their address with a NULL function: only build-id-verified files name frames. Each
/// stack is symbolized once and cached by id.
/// </remarks>
/// <param name="mappings">Per process, the mappings read so far (CaptureReader.Mappings: complete for a stack once
/// it was read, since a mapping item precedes the first stack item of its process in a chunk).</param>
internal sealed class StackResolver(SessionHeader header, string? binariesDir, IReadOnlyDictionary<uint, IReadOnlyList<BinaryMapping>>? mappings = null)
{
    private readonly Dictionary<int, BinarySymbolizer?> _binaries = [];
    private readonly Dictionary<int, List<StackFrame>> _cache = [];
    private readonly BinaryCheck _check = new(binariesDir);

    /// <summary>Why binaries could not be used (missing, unreadable), one line each, once.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>The stack's frames, innermost first, symbolized against the binary of the probe that recorded it.</summary>
    public IReadOnlyList<StackFrame> Resolve(UserStack stack, ProbeSpec probe)
    {
        if (_cache.TryGetValue(stack.Id, out var known)) return known;
        var sym = Symbolizer(probe.Binary);
        var bias = stack.Frames.Length > 0 ? StackSymbolizer.Bias(stack.Frames[0], probe.Address + probe.ProbeOffset) : 0;
        var maps = mappings?.GetValueOrDefault(stack.Pid);
        IReadOnlyList<SourceFrame>? Lookup(ulong pc)
        {
            // Inside the probed binary's functions, pc - bias is exact (the bias came from this very process).
            if (sym?.Lookup(pc - bias) is { Count: > 0 } own) return own;
            if (maps is null) return null;
            foreach (var m in maps)
            {
                if (pc < m.Start || pc >= m.End) continue;
                var other = Symbolizer(m.Binary);
                return other?.VaddrOfFileOffset(pc - m.Start + m.FileOffset) is { } v ? other.Lookup(v) : null;
            }
            return null;
        }
        var frames = StackSymbolizer.Symbolize(stack.Frames, Lookup);
        _cache[stack.Id] = frames;
        return frames;
    }

    private BinarySymbolizer? Symbolizer(int binary)
    {
        if (_binaries.TryGetValue(binary, out var s)) return s;
        s = null;
        if ((uint)binary < (uint)header.Binaries.Count)
        {
            var status = _check.Check(header.Binaries[binary]);
            if (status.State is BinaryState.Verified or BinaryState.Unverifiable && status.File is not null)
            {
                try
                {
                    s = BinarySymbolizer.Open(status.File);
                }
                catch (CalltapeException e)
                {
                    Warnings.Add($"stacks: {e.Message}; frames of {header.Binaries[binary].Path} left unsymbolized");
                }
            }
            else Warnings.Add($"stacks: binary {header.Binaries[binary].Path} not at hand with its build-id; frames left unsymbolized (pass --binaries DIR)");
        }
        _binaries[binary] = s;
        return s;
    }
}
