namespace Calltape.Capture.Model;

/// <summary>Bits of a stack item's flags (bpf/calltape.h CT_USTACK_*).</summary>
[Flags]
public enum StackFlags
{
    None = 0,
    /// <summary>The walk stopped at the probe's depth limit with frames left.</summary>
    Truncated = 1,
    /// <summary>A frame pointer pointed at unreadable memory (a caller without frame pointers): outer frames are unknown.</summary>
    Fault = 2,
}

/// <summary>One distinct user stack of a capture, as recorded: raw addresses in the process <paramref name="Pid"/>.</summary>
/// <param name="Id">Capture-wide id assigned by the reader (0, 1, 2, … in order of first appearance); equal stacks share it.</param>
/// <param name="Frames">Frame 0 is the probed instruction, then return addresses, innermost first.</param>
public sealed record UserStack(int Id, uint Pid, StackFlags Flags, ulong[] Frames);

/// <summary>Where a traced binary (a header binary) is mapped executable in one process, as /proc/PID/maps showed it.</summary>
/// <param name="Binary">Index into the session's binaries.</param>
/// <param name="Start">First address of the mapping.</param>
/// <param name="End">One past its last address.</param>
/// <param name="FileOffset">The file offset mapped at Start.</param>
public readonly record struct BinaryMapping(int Binary, ulong Start, ulong End, ulong FileOffset);
