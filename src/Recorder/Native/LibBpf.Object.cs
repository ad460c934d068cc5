using System.Runtime.InteropServices;

namespace Calltape.Recorder.Native;

internal static partial class LibBpf
{
    // struct bpf_object *bpf_object__open_mem(const void *obj_buf, size_t obj_buf_sz, const struct bpf_object_open_opts *opts);
    // The buffer is parsed in place: it must outlive the object (FACTS.md, libbpf 1.1.2).
    [LibraryImport(Lib, EntryPoint = "bpf_object__open_mem", SetLastError = true)]
    public static partial nint bpf_object__open_mem(nint buf, nuint size, nint opts);

    [LibraryImport(Lib, EntryPoint = "bpf_object__load")]
    public static partial int bpf_object__load(BpfObjectHandle obj);

    [LibraryImport(Lib, EntryPoint = "bpf_object__close")]
    public static partial void bpf_object__close(nint obj);

    [LibraryImport(Lib, EntryPoint = "bpf_object__find_program_by_name", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial nint bpf_object__find_program_by_name(BpfObjectHandle obj, string name);

    [LibraryImport(Lib, EntryPoint = "bpf_object__find_map_by_name", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial nint bpf_object__find_map_by_name(BpfObjectHandle obj, string name);

    // Both must be called before bpf_object__load; the program pointer is owned by its object.
    [LibraryImport(Lib, EntryPoint = "bpf_program__set_expected_attach_type")]
    public static partial int bpf_program__set_expected_attach_type(nint prog, uint type);

    [LibraryImport(Lib, EntryPoint = "bpf_program__set_autoload")]
    public static partial int bpf_program__set_autoload(nint prog, [MarshalAs(UnmanagedType.U1)] bool autoload);

    [LibraryImport(Lib, EntryPoint = "bpf_program__fd")]
    public static partial int bpf_program__fd(nint prog);

    [LibraryImport(Lib, EntryPoint = "libbpf_num_possible_cpus")]
    public static partial int libbpf_num_possible_cpus();
}
