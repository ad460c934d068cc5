using System.Runtime.InteropServices;
using System.Text;

namespace Calltape.Recorder.Native;

/// <summary>Routes libbpf's log through libc vsnprintf, keeping the last warning for error messages.</summary>
/// <remarks>libbpf_print_fn_t takes a va_list, which on x86-64 is a pointer to the register save area; only libc can format it (FACTS.md).</remarks>
internal static unsafe partial class LibBpfLog
{
    private static volatile bool _verbose;
    private static byte* _buf;

    /// <summary>The last warning-level line libbpf printed, used to explain a failure.</summary>
    public static string? LastError { get; private set; }

    public static void Install(bool verbose)
    {
        _verbose = verbose;
        libbpf_set_print(&Print);
    }

    [UnmanagedCallersOnly]
    private static int Print(int level, nint format, nint args)
    {
        // The verifier log arrives as one message of many KiB; a va_list can be consumed only once, so the
        // buffer is sized for it up front.
        const int Size = 1 << 20;
        if (_buf == null) _buf = (byte*)NativeMemory.Alloc(Size);
        var buf = _buf;
        var n = vsnprintf(buf, Size, format, args);
        if (n <= 0) return 0;
        var line = Encoding.UTF8.GetString(buf, Math.Min(n, Size - 1)).TrimEnd();
        if (level == 0) LastError = line.Split('\n')[^1]; // LIBBPF_WARN; the last line names the failure
        if (_verbose) Console.Error.WriteLine("libbpf: " + line);
        return 0;
    }

    [LibraryImport(LibBpf.Lib)]
    private static partial nint libbpf_set_print(delegate* unmanaged<int, nint, nint, int> fn);

    [LibraryImport("libc", EntryPoint = "vsnprintf")]
    private static partial int vsnprintf(byte* buf, nuint size, nint format, nint args);
}
