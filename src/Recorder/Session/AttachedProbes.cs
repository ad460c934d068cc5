using System.Diagnostics;
using System.Runtime.InteropServices;
using Calltape.Capture.Model;

namespace Calltape.Recorder.Session;

/// <summary>
/// A session's attached probes: one uprobe_multi link per binary (and per entry/return flavour), or, on kernels
/// without that link, one perf-event link per probe. Disposing detaches them all.
/// </summary>
/// <remarks>
/// uprobe_multi attaches a thousand probes in one syscall and needs only CAP_BPF+CAP_PERFMON; perf-event attach needs
/// CAP_SYS_ADMIN and one perf_event_open per probe (FACTS.md, "Kernel and privileges"), and detaching is slower
/// still: on this 6.18 VM 1,000 perf-event probes took 0.1 s to attach but ~110 s to detach, serially even from
/// parallel threads, against a fraction of a second for one multi link. Either way the links are fds of this
/// process, so they close when it dies, kill -9 included.
/// </remarks>
internal sealed class AttachedProbes : IDisposable
{
    /// <summary>Set to 0 to force perf-event attach (tests the fallback on kernels that do have uprobe_multi).</summary>
    public const string MultiSwitch = "CALLTAPE_UPROBE_MULTI";

    private readonly List<SafeHandle> _links = [];

    private AttachedProbes() { }

    /// <summary>How many probes are attached.</summary>
    public int Count { get; private set; }

    /// <summary>Wall time from the first attach call to the last one's return.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>"uprobe_multi" or "perf events", for the attached line.</summary>
    public string Mode { get; private set; } = "uprobe_multi";

    /// <param name="binaryPaths">Absolute paths of the session's binaries, indexed by <see cref="ProbeSpec.Binary"/>.</param>
    /// <param name="pid">The pid filter: -1 for every process mapping the binary.</param>
    public static AttachedProbes Attach(BpfProgram bpf, IReadOnlyList<ProbeSpec> probes, IReadOnlyList<string> binaryPaths, int pid)
    {
        var result = new AttachedProbes();
        var clock = Stopwatch.StartNew();
        try
        {
            var multi = Environment.GetEnvironmentVariable(MultiSwitch) != "0";
            // A uretprobe is a link-wide flag of uprobe_multi (BPF_F_UPROBE_MULTI_RETURN), so returns get their own link.
            foreach (var group in probes.GroupBy(p => (p.Binary, p.Uretprobe)))
            {
                var path = binaryPaths[group.Key.Binary];
                var members = group.ToArray();
                if (multi && result.TryMulti(bpf, members, path, group.Key.Uretprobe, pid)) continue;
                if (multi)
                {
                    multi = false;
                    Console.Error.WriteLine("recording: this kernel has no uprobe_multi link; attaching one perf event per probe (needs CAP_SYS_ADMIN)");
                }
                result.Mode = "perf events";
                foreach (var p in members)
                {
                    result._links.Add(bpf.Attach(p.Id, p.Plan, path, p.FileOffset, pid, p.Uretprobe));
                    result.Count++;
                }
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        result.Elapsed = clock.Elapsed;
        return result;
    }

    private bool TryMulti(BpfProgram bpf, ProbeSpec[] members, string path, bool retprobe, int pid)
    {
        var offsets = members.Select(p => p.FileOffset).ToArray();
        var cookies = members.Select(p => BpfProgram.CookieOf(p.Id, p.Plan)).ToArray();
        var link = bpf.TryAttachMulti(path, offsets, cookies, retprobe, pid);
        if (link is null) return false;
        _links.Add(link);
        Count += members.Length;
        return true;
    }

    public void Dispose()
    {
        foreach (var l in _links) l.Dispose();
        _links.Clear();
    }
}
