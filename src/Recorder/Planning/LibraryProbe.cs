using System.Diagnostics;
using Calltape.Capture;

namespace Calltape.Recorder.Planning;

/// <summary>-p LIB:FUNCTION: a function in a shared library, given by file name (libc.so.6) or by path.</summary>
/// <remarks>
/// The library part must name a shared object (contain ".so") or be a path, so Go names with a colon
/// ("type:.eq.main.T", Go 1.21 and later) stay function names of the executable.
/// </remarks>
internal sealed record LibraryProbe(string Library, string Function)
{
    public static LibraryProbe? TryParse(string text)
    {
        var colon = text.IndexOf(':');
        if (colon <= 0 || colon == text.Length - 1) return null;
        var lib = text[..colon];
        return lib.Contains(".so", StringComparison.Ordinal) || lib.StartsWith('/') ? new LibraryProbe(lib, text[(colon + 1)..]) : null;
    }

    /// <summary>
    /// The library's file: a path as given; else the file the target process has mapped under that name
    /// (/proc/PID/maps, when there is a running target); else the dynamic linker's cache (ldconfig -p).
    /// </summary>
    public static string Locate(string library, int? mapsPid)
    {
        if (library.Contains('/'))
        {
            var full = Path.GetFullPath(library);
            return File.Exists(full) ? Real(full) : throw new CalltapeException($"{library}: no such file", ExitCodes.NotFound);
        }
        if (mapsPid is { } pid)
            return FromMaps(library, pid) ?? throw new CalltapeException($"process {pid} has no shared library '{library}' mapped (see /proc/{pid}/maps)", ExitCodes.NotFound);
        return FromLdconfig(library) ?? throw new CalltapeException($"shared library '{library}' is not in the ldconfig cache: give its path", ExitCodes.NotFound);
    }

    /// <summary>libc.so.6 matches itself; libfoo.so also matches libfoo.so.1.2 (the soname and version suffixes).</summary>
    private static bool NameMatches(string fileName, string library) =>
        fileName == library || fileName.StartsWith(library + ".", StringComparison.Ordinal);

    private static string? FromMaps(string library, int pid)
    {
        // /proc/PID/maps (proc(5)): "address perms offset dev inode pathname"; the path is everything from column 6.
        foreach (var line in File.ReadLines($"/proc/{pid}/maps"))
        {
            var slash = line.IndexOf('/');
            if (slash < 0) continue;
            var path = line[slash..];
            if (NameMatches(Path.GetFileName(path), library) && File.Exists(path)) return Real(path);
        }
        return null;
    }

    private static string? FromLdconfig(string library)
    {
        var ldconfig = new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig" }.FirstOrDefault(File.Exists);
        if (ldconfig is null) return null;
        var psi = new ProcessStartInfo(ldconfig, "-p") { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi);
        if (p is null) return null;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        // Lines look like "\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6"; only x86-64 entries fit.
        foreach (var line in output.Split('\n'))
        {
            var arrow = line.IndexOf(" => ", StringComparison.Ordinal);
            var paren = line.IndexOf(" (", StringComparison.Ordinal);
            if (arrow < 0 || paren < 0 || paren > arrow || !line.Contains("x86-64", StringComparison.Ordinal)) continue;
            var path = line[(arrow + 4)..].Trim();
            if (NameMatches(line[..paren].Trim(), library) && File.Exists(path)) return Real(path);
        }
        return null;
    }

    private static string Real(string path) => new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
}
