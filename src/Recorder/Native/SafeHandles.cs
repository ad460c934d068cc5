using Microsoft.Win32.SafeHandles;

namespace Calltape.Recorder.Native;

/// <summary>A SafeHandle over a pointer that libbpf returned and that one libbpf call frees.</summary>
internal abstract class LibBpfHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    /// <summary>Takes ownership of a pointer already checked by LibBpf.CheckPtr.</summary>
    public static T Wrap<T>(nint p) where T : LibBpfHandle, new()
    {
        var h = new T();
        h.SetHandle(p);
        return h;
    }
}

/// <summary>Owns a struct bpf_object*; closing it unloads the programs and maps.</summary>
internal sealed class BpfObjectHandle : LibBpfHandle
{
    protected override bool ReleaseHandle()
    {
        LibBpf.bpf_object__close(handle);
        return true;
    }
}

/// <summary>Owns a struct bpf_link*; destroying it detaches the uprobe.</summary>
internal sealed class BpfLinkHandle : LibBpfHandle
{
    protected override bool ReleaseHandle() => LibBpf.bpf_link__destroy(handle) == 0;
}

/// <summary>Owns a BPF link fd made by bpf(BPF_LINK_CREATE) directly; closing the last fd detaches every probe of the
/// link, which also happens when the process dies (so kill -9 leaves no uprobe behind).</summary>
internal sealed class BpfLinkFdHandle() : SafeHandleMinusOneIsInvalid(ownsHandle: true)
{
    public static BpfLinkFdHandle FromFd(int fd)
    {
        var h = new BpfLinkFdHandle();
        h.SetHandle(fd);
        return h;
    }

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}

/// <summary>Owns a struct ring_buffer* (the consumer side of a BPF ring buffer map).</summary>
internal sealed class RingBufferHandle : LibBpfHandle
{
    protected override bool ReleaseHandle()
    {
        LibBpf.ring_buffer__free(handle);
        return true;
    }
}
