using System.Globalization;
using Calltape.Capture.Format;
using Calltape.Capture.Model;

namespace Calltape.Recorder.Session;

/// <summary>Tells the capture where the traced binaries are mapped in each process that records stacks.</summary>
/// <remarks>
/// Read from /proc/PID/maps (proc(5)) the first time a process's stack is written, and again (at most once a second)
/// when a new stack has a frame outside every mapping seen, e.g. after a dlopen. Only mappings of the session's own
/// binaries are kept: they are the files the analyzer verifies by build-id, so a frame is never named from a file
/// that may differ from the one that ran. A process that already exited has no maps: its stacks keep the bias the
/// analyzer derives from frame 0 for the probed binary.
/// </remarks>
internal sealed class ProcessMaps
{
    private readonly CaptureWriter _writer;
    private readonly string[] _paths;
    private readonly Dictionary<uint, (BinaryMapping[] Maps, long ReadAt)> _known = [];

    /// <param name="binaryPaths">The session's binaries, by index (as attached).</param>
    public ProcessMaps(CaptureWriter writer, IReadOnlyList<string> binaryPaths)
    {
        _writer = writer;
        _paths = binaryPaths.Select(Canonical).ToArray();
        writer.OnNewStack = OnNewStack;
    }

    private void OnNewStack(uint pid, ReadOnlySpan<ulong> frames)
    {
        var now = Environment.TickCount64;
        if (_known.TryGetValue(pid, out var k) && (Covers(k.Maps, frames) || now - k.ReadAt < 1000)) return;
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/maps");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _known[pid] = (k.Maps ?? [], now); // gone already: nothing to add
            return;
        }
        var maps = Parse(text, _paths);
        if (_known.Count >= StackTable.MaxEntries && !_known.ContainsKey(pid)) _known.Clear();
        var changed = k.Maps is null || !maps.AsSpan().SequenceEqual(k.Maps);
        _known[pid] = (maps, now);
        // An unchanged re-read (a frame in an untraced library such as libc) writes nothing new.
        if (maps.Length > 0 && changed) _writer.SetMappings(pid, maps);
    }

    private static bool Covers(BinaryMapping[] maps, ReadOnlySpan<ulong> frames)
    {
        foreach (var f in frames)
        {
            var hit = false;
            foreach (var m in maps)
                if (f >= m.Start && f < m.End) { hit = true; break; }
            if (!hit) return false;
        }
        return true;
    }

    /// <summary>The executable mappings of the given files in a /proc/PID/maps text ("start-end perms offset dev inode path").</summary>
    public static BinaryMapping[] Parse(string maps, IReadOnlyList<string> paths)
    {
        var result = new List<BinaryMapping>();
        foreach (var line in maps.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 6 || f[1].Length < 3 || f[1][2] != 'x') continue;
            var path = f[5].Trim();
            var binary = -1;
            for (var i = 0; i < paths.Count && binary < 0; i++)
                if (paths[i] == path) binary = i;
            var range = f[0].Split('-');
            if (binary < 0 || range.Length != 2) continue;
            if (!ulong.TryParse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start)
                || !ulong.TryParse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var end)
                || !ulong.TryParse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var offset)) continue;
            result.Add(new BinaryMapping(binary, start, end, offset));
        }
        return result.ToArray();
    }

    /// <summary>The kernel names a mapped file by its resolved path; the session may have named it through a symlink.</summary>
    private static string Canonical(string path)
    {
        try
        {
            var full = Path.GetFullPath(path);
            return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return path;
        }
    }
}
