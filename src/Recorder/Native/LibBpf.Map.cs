using System.Runtime.InteropServices;

namespace Calltape.Recorder.Native;

internal static partial class LibBpf
{
    // Map pointers are owned by their bpf_object: they need no handle of their own.
    [LibraryImport(Lib, EntryPoint = "bpf_map__fd")]
    public static partial int bpf_map__fd(nint map);

    [LibraryImport(Lib, EntryPoint = "bpf_map__set_max_entries")]
    public static partial int bpf_map__set_max_entries(nint map, uint maxEntries);

    [LibraryImport(Lib, EntryPoint = "bpf_map_update_elem")]
    public static unsafe partial int bpf_map_update_elem(int fd, void* key, void* value, ulong flags);

    [LibraryImport(Lib, EntryPoint = "bpf_map_lookup_elem")]
    public static unsafe partial int bpf_map_lookup_elem(int fd, void* key, void* value);
}
