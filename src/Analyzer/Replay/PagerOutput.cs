using Microsoft.Win32.SafeHandles;

namespace Calltape.Analyzer.Replay;

/// <summary>Standard output for long listings: buffered, yet flushed often enough that a pager shows lines at once.</summary>
/// <remarks>
/// Console.Out flushes every line (slow for millions) and silently ignores a closed pipe, so `replay | head` would
/// read the whole capture. Writing to file descriptor 1 through a FileStream makes a closed pipe an IOException
/// (EPIPE), which ends the replay (<see cref="IsClosedPipe"/>).
/// </remarks>
internal sealed class PagerOutput : StreamWriter
{
    private const int FlushLines = 256;
    private const long FlushMs = 50;
    private int _lines;
    private long _last = Environment.TickCount64;

    private PagerOutput(Stream s) : base(s, new System.Text.UTF8Encoding(false), 1 << 16) => NewLine = "\n";

    /// <summary>A writer on file descriptor 1.</summary>
    /// <remarks>On a regular file (`> out.txt`) FileStream writes with pwrite at its own position and never moves the
    /// shared file offset, so whatever the shell writes next to the same file would overwrite the replay. A file cannot
    /// raise EPIPE, so there the console stream (plain write(2)) is used; pipes and terminals keep the FileStream.</remarks>
    public static PagerOutput OpenStdout()
    {
        var fd = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, 1);
        if (!fd.CanSeek) return new(fd);
        fd.Dispose();
        return new(Console.OpenStandardOutput());
    }

    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        var now = Environment.TickCount64;
        if (++_lines < FlushLines && now - _last < FlushMs) return;
        Flush();
        _lines = 0;
        _last = now;
    }

    /// <summary>The reader of our output went away (EPIPE): not an error, the user has seen enough.</summary>
    public static bool IsClosedPipe(IOException ex) => ex.HResult == 32 || ex.Message.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase);
}
