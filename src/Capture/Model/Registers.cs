namespace Calltape.Capture.Model;

/// <summary>The registers the BPF program copies, numbered as enum ct_reg in bpf/calltape.h.</summary>
public enum Reg : byte
{
    Rax = 0, Rbx, Rcx, Rdx, Rsi, Rdi, R8, R9, R10, R11, R12, R13, R14, R15, Rbp, Rsp, Rip,
}

/// <summary>Register sets of the calling conventions Calltape plans for.</summary>
public static class Abis
{
    public const int RegisterCount = 17; // CT_NREGS

    /// <summary>Go internal ABI (Go >= 1.17), integer argument registers in assignment order (abi-internal.md, "amd64 architecture").</summary>
    public static readonly Reg[] GoIntArgs = [Reg.Rax, Reg.Rbx, Reg.Rcx, Reg.Rdi, Reg.Rsi, Reg.R8, Reg.R9, Reg.R10, Reg.R11];

    /// <summary>System V AMD64 integer argument registers (psABI 3.2.3).</summary>
    public static readonly Reg[] SysVIntArgs = [Reg.Rdi, Reg.Rsi, Reg.Rdx, Reg.Rcx, Reg.R8, Reg.R9];

    public static string Name(Reg r) => r.ToString().ToLowerInvariant();
}
