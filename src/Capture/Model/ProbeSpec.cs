namespace Calltape.Capture.Model;

/// <summary>The calling convention a probe's arguments follow.</summary>
public enum AbiKind : byte
{
    /// <summary>Nothing is known: only raw registers are kept.</summary>
    Raw = 0,
    /// <summary>Go internal register ABI (Go >= 1.17).</summary>
    GoRegs = 1,
    /// <summary>Go ABI0: every argument on the stack (Go assembly, Go &lt; 1.17).</summary>
    GoStack = 2,
    /// <summary>System V AMD64 (C, C++, Rust).</summary>
    SysV = 3,
}

/// <summary>Where a value or a dereference length comes from at the probe point (enum ct_src_kind).</summary>
public enum SourceKind : byte
{
    None = 0,
    Register = 1,
    Stack = 2,
    /// <summary>Bytes inside an earlier dereference of the same record (a chained pointer: *T, then T.name's data).</summary>
    Deref = 3,
}

/// <summary>A register, a stack slot (byte offset from SP at the probe point), or a byte offset inside dereference Deref.</summary>
/// <param name="Index">The register (ct_reg), the stack offset, or the byte offset into the dereference's bytes.</param>
/// <param name="Deref">For SourceKind.Deref, the index of the plan dereference read (ct_src.pad); else 0.</param>
public readonly record struct Source(SourceKind Kind, int Index, int Deref = 0)
{
    public static Source None => default;
    public static Source Of(Reg r) => new(SourceKind.Register, (int)r);
    public static Source StackAt(int offset) => new(SourceKind.Stack, offset);
    public static Source InDeref(int deref, int offset) => new(SourceKind.Deref, offset, deref);

    /// <summary>True for sources whose bytes are memory (the stack window or a dereference), so an offset can be added.</summary>
    public bool IsMemory => Kind is SourceKind.Stack or SourceKind.Deref;

    /// <summary>The source <paramref name="bytes"/> further on in the same memory.</summary>
    public Source Plus(int bytes) => IsMemory ? this with { Index = Index + bytes } : throw new InvalidOperationException($"{this} is not memory");

    public override string ToString() => Kind switch
    {
        SourceKind.Register => Abis.Name((Reg)Index),
        SourceKind.Stack => $"sp+{Index}",
        SourceKind.Deref => $"#{Deref}+{Index}",
        _ => "-",
    };
}

/// <summary>A bounded dereference: copy up to MaxLen bytes at the address in Ptr (plus Offset), as many as Len says.</summary>
/// <param name="CString">Read a NUL-terminated string (bpf_probe_read_user_str); Len is ignored.</param>
/// <param name="Offset">Bytes added to the pointer first: a field of a pointed-to struct.</param>
/// <param name="Scale">Len counts elements of this many bytes (a slice's len), 0 or 1 for bytes; at most 255.</param>
/// <param name="OutsideImage">Read only when the pointer is outside the traced binary's loaded image (CT_DEREF_OUTSIDE_IMAGE):
/// a Go itab the runtime built, not one the compiler put in the file. Skipped, it reads as 0 bytes with no error.</param>
public sealed record DerefSpec(Source Ptr, Source Len, int MaxLen, bool CString = false, int Offset = 0, int Scale = 0, bool OutsideImage = false);

/// <summary>What the BPF program copies on each hit of a probe (mirrors struct ct_plan) and what the recorder keeps.</summary>
/// <param name="Registers">The registers written to disk, in ascending register order.</param>
/// <param name="StackLen">Bytes of stack window copied from SP.</param>
/// <param name="Derefs">Bounded dereferences, at most 8; one may take its pointer or length from an earlier one's bytes.</param>
public sealed record CapturePlan(IReadOnlyList<Reg> Registers, int StackLen, IReadOnlyList<DerefSpec> Derefs)
{
    public static CapturePlan RawRegisters(IEnumerable<Reg> regs) => new(regs.Distinct().Order().ToArray(), 0, []);

    /// <summary>Frames of user stack to record on each hit (calltape-record --stack), 0 for none.</summary>
    public int UserStack { get; init; }

    /// <summary>The link-time bounds [Lo, Hi) of the binary's loaded segments, which OutsideImage dereferences test
    /// against; the recorder's business only, so captures do not carry it.</summary>
    public (ulong Lo, ulong Hi) Image { get; init; }

    /// <summary>The position of a register among the kept ones, or -1.</summary>
    public int IndexOf(Reg r)
    {
        for (var i = 0; i < Registers.Count; i++)
            if (Registers[i] == r) return i;
        return -1;
    }
}

/// <summary>How one parameter is rebuilt from a record.</summary>
/// <param name="Name">The source name, or argN.</param>
/// <param name="Type">The declared type.</param>
/// <param name="Pieces">The registers or stack slots holding the value's eightbytes, in order.</param>
/// <param name="Deref">The index into the plan's Derefs holding pointed-to bytes (a string's data), or -1.</param>
/// <param name="NotCaptured">Why the value cannot be captured (float register, unsupported type), or null.</param>
/// <remarks>
/// Scalars and strings use Pieces and Deref alone. A composite value (struct, array, slice, followed pointer, interface,
/// map, channel) has a <see cref="Value"/> tree; its Pieces then list every register and stack word the tree reads, so
/// plans and redaction see them, and Deref is -1.
/// </remarks>
public sealed record ParamSpec(string Name, TypeDesc Type, IReadOnlyList<Source> Pieces, int Deref = -1, string? NotCaptured = null)
{
    /// <summary>How a composite value is rebuilt, or null for scalars and strings (and captures written before trees).</summary>
    public ValueSpec? Value { get; init; }

    /// <summary>Every plan dereference the value reads: Deref, and those of the tree.</summary>
    public IEnumerable<int> UsedDerefs()
    {
        if (Deref >= 0) yield return Deref;
        if (Value is not null)
            foreach (var d in Value.UsedDerefs()) yield return d;
    }
}

/// <summary>Whether a probe marks a function's entry or one of its returns.</summary>
public enum ProbeKind : byte
{
    /// <summary>Fires when the function starts; its params are the arguments.</summary>
    Entry = 0,
    /// <summary>Fires when the function returns (a Go RET instruction, or a SysV uretprobe); its params are the results.</summary>
    Exit = 1,
}

/// <summary>One probe: where it is attached, and how its records decode.</summary>
/// <param name="Id">The attach cookie; records carry it.</param>
/// <param name="Function">The function's name, as the user writes it in SQL.</param>
/// <param name="Binary">Index into the session's binaries.</param>
/// <param name="Address">The symbol's virtual address.</param>
/// <param name="ProbeOffset">Bytes from the symbol to the probed instruction (after a Go stack check).</param>
/// <param name="FileOffset">The file offset libbpf attaches at.</param>
public sealed record ProbeSpec(
    int Id,
    string Function,
    int Binary,
    ulong Address,
    ulong ProbeOffset,
    ulong FileOffset,
    AbiKind Abi,
    CapturePlan Plan,
    IReadOnlyList<ParamSpec> Params)
{
    /// <summary>The address the probe fires at, as linked (the function's address plus the probe's offset in it).</summary>
    public ulong ProbeAddress => Address + ProbeOffset;

    /// <summary>How far this event's binary was loaded from its link-time addresses: RIP at the probe minus
    /// <see cref="ProbeAddress"/> (the kernel reports the breakpoint's address as RIP to uprobe programs), when the plan
    /// kept RIP (interfaces in a position-independent binary, ProbePlanner), else 0.</summary>
    public ulong LoadBias(RawEvent ev)
    {
        var i = Plan.IndexOf(Reg.Rip);
        return i >= 0 && i < ev.Registers.Length ? ev.Registers[i] - ProbeAddress : 0;
    }

    /// <summary>Why the plan is partial (no DWARF, unsupported type), for info and the user.</summary>
    public string? Note { get; init; }

    /// <summary>Entry or exit; captures written before exits existed have only entries.</summary>
    public ProbeKind Kind { get; init; } = ProbeKind.Entry;

    /// <summary>For an exit probe, the id of the entry probe it closes; -1 for entries.</summary>
    public int EntryProbe { get; init; } = -1;

    /// <summary>The exit is a uretprobe attached at FileOffset (the function's entry), not a uprobe on a RET.</summary>
    public bool Uretprobe { get; init; }

    /// <summary>The plan dereference holding the 8 bytes of runtime.g.goid (read through R14), or -1.</summary>
    public int GoidDeref { get; init; } = -1;
}
