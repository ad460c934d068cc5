using System.Runtime.InteropServices;

namespace Calltape.Recorder.Bpf;

// The C# mirror of bpf/calltape.h. tests/Unit/LayoutMirrorTests.cs compiles the header and checks every size and
// offset here against it: change both together.

/// <summary>Limits shared with the BPF program (the #defines of bpf/calltape.h).</summary>
internal static class BpfLimits
{
    public const int MaxProbes = 4096;    // CT_MAX_PROBES
    public const int MaxDerefs = 8;       // CT_MAX_DEREFS
    public const int MaxStack = 256;      // CT_MAX_STACK
    public const int MaxDerefLen = 1024;  // CT_MAX_DEREF_LEN
    public const int MaxUserStack = 127;  // CT_MAX_USTACK
    public const int RegCount = 17;       // CT_NREGS
    public const byte EventFlagStackFault = 1; // CT_EVF_STACK_FAULT
    public const byte EventFlagUserStack = 2;  // CT_EVF_USTACK
    public const ushort UserStackTruncated = 1; // CT_USTACK_TRUNCATED
    public const ushort UserStackFault = 2;     // CT_USTACK_FAULT
    public const ulong CookieRegsOnly = 1UL << 32; // CT_COOKIE_REGS_ONLY
    public const ushort DerefCString = 1; // CT_DEREF_CSTR
    public const ushort DerefOutsideImage = 2; // CT_DEREF_OUTSIDE_IMAGE
    public const int DerefScaleShift = 8; // CT_DEREF_SCALE_SHIFT
    public const int ScratchSize = 16384; // CT_SCRATCH_SIZE
}

/// <summary>struct ct_src: where a pointer or a length comes from.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CtSrc
{
    public byte Kind;
    public byte Pad;
    public ushort Index;
}

/// <summary>struct ct_deref: one bounded dereference.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CtDeref
{
    public CtSrc Ptr;
    public CtSrc Len;
    public ushort MaxLen;
    public ushort Flags;
    public int Offset;
}

/// <summary>struct ct_plan: the value of the plans map, keyed by probe id.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CtPlan
{
    public ushort StackLen;
    public byte NDerefs;
    public byte UstackDepth;
    public uint Pad2;
    public CtDeref Deref0;
    public CtDeref Deref1;
    public CtDeref Deref2;
    public CtDeref Deref3;
    public CtDeref Deref4;
    public CtDeref Deref5;
    public CtDeref Deref6;
    public CtDeref Deref7;
    public ulong LinkIp;
    public ulong ImageLo;
    public ulong ImageHi;
}

/// <summary>struct ct_counters: one CPU's slot of the per-CPU counters map.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CtCounters
{
    public ulong Hits;
    public ulong Drops;
}

/// <summary>struct ct_event: the fixed head of a ring-buffer record.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CtEvent
{
    public ulong KtimeNs;
    public ulong Cookie;
    public uint Pid;
    public uint Tid;
    public uint Cpu;
    public ushort StackLen;
    public byte NDerefs;
    public byte Flags;
    public fixed ulong Regs[BpfLimits.RegCount];
}

/// <summary>struct ct_deref_hdr: precedes each dereference's bytes in a record.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CtDerefHdr
{
    public ushort Len;
    public short Err;
    public uint Want;
}

/// <summary>struct ct_ustack_hdr: precedes the user stack's return addresses at the end of a record.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CtUstackHdr
{
    public ushort N;
    public ushort Flags;
    public uint Pad;
}
