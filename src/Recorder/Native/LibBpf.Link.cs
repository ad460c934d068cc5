using System.Runtime.InteropServices;

namespace Calltape.Recorder.Native;

/// <summary>struct bpf_uprobe_opts of libbpf 1.1.2 (libbpf.h): 40 bytes, layout measured in FACTS.md.</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal struct BpfUprobeOpts
{
    [FieldOffset(0)] public nuint Sz;
    [FieldOffset(8)] public nuint RefCtrOffset;
    [FieldOffset(16)] public ulong BpfCookie;
    [FieldOffset(24)] public byte Retprobe;
    [FieldOffset(32)] public nint FuncName;
}

internal static partial class LibBpf
{
    // struct bpf_link *bpf_program__attach_uprobe_opts(const struct bpf_program *prog, pid_t pid,
    //     const char *binary_path, size_t func_offset, const struct bpf_uprobe_opts *opts);
    [LibraryImport(Lib, EntryPoint = "bpf_program__attach_uprobe_opts", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial nint bpf_program__attach_uprobe_opts(nint prog, int pid, string binaryPath, nuint funcOffset, in BpfUprobeOpts opts);

    [LibraryImport(Lib, EntryPoint = "bpf_link__destroy")]
    public static partial int bpf_link__destroy(nint link);
}
