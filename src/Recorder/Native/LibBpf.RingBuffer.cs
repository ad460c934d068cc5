using System.Runtime.InteropServices;

namespace Calltape.Recorder.Native;

internal static partial class LibBpf
{
    // struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn sample_cb, void *ctx, const struct ring_buffer_opts *opts);
    // typedef int (*ring_buffer_sample_fn)(void *ctx, void *data, size_t size);
    [LibraryImport(Lib, EntryPoint = "ring_buffer__new", SetLastError = true)]
    public static unsafe partial nint ring_buffer__new(int mapFd, delegate* unmanaged<nint, nint, nuint, int> sampleCb, nint ctx, nint opts);

    // Consumes whatever is in the ring without waiting. The BPF side submits with BPF_RB_NO_WAKEUP, so epoll
    // would never report the ring: ring_buffer__poll is useless here (FACTS.md).
    [LibraryImport(Lib, EntryPoint = "ring_buffer__consume")]
    public static partial int ring_buffer__consume(RingBufferHandle rb);

    [LibraryImport(Lib, EntryPoint = "ring_buffer__free")]
    public static partial void ring_buffer__free(nint rb);
}
