using Calltape.Capture;
using Calltape.Capture.Model;
using Calltape.Recorder.Bpf;
using Calltape.Symbols;

namespace Calltape.Recorder.Planning;

/// <summary>
/// Every probe of a session, across binaries: the target executable is binary 0 and each shared library named by
/// -p LIB:FUNCTION follows, each planned by <see cref="ProbeResolver"/> and renumbered into one id space.
/// </summary>
internal static class SessionProbes
{
    /// <param name="mapsPid">A running target whose /proc/PID/maps names its libraries, or null (ldconfig cache).</param>
    public static (IReadOnlyList<BinaryInfo> Binaries, IReadOnlyList<string> Paths, IReadOnlyList<ProbeSpec> Probes) Resolve(
        string exePath, int? mapsPid, IReadOnlyList<string> functions, PlanOptions options, bool returns)
    {
        if (functions.Count == 0) throw new CalltapeException("no probes: give at least one -p FUNCTION");
        var own = new List<string>();
        var libraries = new Dictionary<string, List<string>>(StringComparer.Ordinal); // path -> functions, in -p order
        foreach (var f in functions)
        {
            if (LibraryProbe.TryParse(f) is not { } lib)
            {
                own.Add(f);
                continue;
            }
            var path = LibraryProbe.Locate(lib.Library, mapsPid);
            if (!libraries.TryGetValue(path, out var list)) libraries[path] = list = [];
            list.Add(lib.Function);
        }

        var binaries = new List<BinaryInfo>();
        var paths = new List<string>();
        var probes = new List<ProbeSpec>();
        if (own.Count > 0)
        {
            var (binary, planned) = ProbeResolver.Resolve(exePath, own, options, returns);
            binaries.Add(binary);
            probes.AddRange(planned);
        }
        else
        {
            binaries.Add(ElfImage.Open(exePath).Describe()); // the target is always binary 0
        }
        paths.Add(exePath);
        foreach (var (path, names) in libraries)
        {
            var (binary, planned) = ProbeResolver.Resolve(path, names, options, returns);
            int index = binaries.Count, offset = probes.Count;
            binaries.Add(binary);
            paths.Add(path);
            probes.AddRange(planned.Select(p => p with
            {
                Id = p.Id + offset,
                Binary = index,
                EntryProbe = p.EntryProbe < 0 ? -1 : p.EntryProbe + offset,
            }));
        }
        // The plan and counter maps have CT_MAX_PROBES entries, indexed by probe id (bpf/calltape.h).
        if (probes.Count > BpfLimits.MaxProbes)
            throw new CalltapeException($"{probes.Count} probes requested; the limit is {BpfLimits.MaxProbes}: narrow the -p patterns");
        return (binaries, paths, probes);
    }
}
