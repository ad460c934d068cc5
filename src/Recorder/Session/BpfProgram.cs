using System.Reflection;
using System.Runtime.InteropServices;
using Calltape.Capture;
using Calltape.Capture.Model;
using Calltape.Recorder.Bpf;
using Calltape.Recorder.Native;

namespace Calltape.Recorder.Session;

/// <summary>The loaded BPF object: the generic uprobe program (one per attach mode), its plan and counter maps, and the ring buffer.</summary>
internal sealed unsafe partial class BpfProgram : IDisposable
{
    private const string ResourceName = "calltape.bpf.o";
    private readonly nint _objectMemory;
    private readonly BpfObjectHandle _object;
    private readonly nint _program;
    private readonly int _cpus;

    private BpfProgram(nint objectMemory, BpfObjectHandle obj, nint program, int multiProgramFd, int eventsFd, int plansFd, int countersFd)
    {
        _objectMemory = objectMemory;
        _object = obj;
        _program = program;
        MultiProgramFd = multiProgramFd;
        EventsFd = eventsFd;
        PlansFd = plansFd;
        CountersFd = countersFd;
        _cpus = LibBpf.Check(LibBpf.libbpf_num_possible_cpus(), "counting possible CPUs");
    }

    public int EventsFd { get; }
    public int PlansFd { get; }
    public int CountersFd { get; }

    /// <summary>Opens the embedded object, sizes the ring buffer and loads it into the kernel.</summary>
    /// <remarks>A kernel that rejects the uprobe_multi program's expected attach type gets the object without it.</remarks>
    public static BpfProgram Load(uint ringBytes)
    {
        try { return Load(ringBytes, withMulti: true); }
        catch (CalltapeException e) when (e.ExitCode == ExitCodes.Unsupported) { return Load(ringBytes, withMulti: false); }
    }

    private static BpfProgram Load(uint ringBytes, bool withMulti)
    {
        using var stream = typeof(BpfProgram).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing: the build did not compile bpf/");
        // bpf_object__open_mem parses the buffer in place, so it lives in native memory until Dispose.
        var mem = (nint)NativeMemory.Alloc((nuint)stream.Length);
        stream.ReadExactly(new Span<byte>((void*)mem, (int)stream.Length));
        var obj = LibBpfHandle.Wrap<BpfObjectHandle>(LibBpf.CheckPtr(LibBpf.bpf_object__open_mem(mem, (nuint)stream.Length, 0), "opening the BPF object"));
        try
        {
            var events = LibBpf.CheckPtr(LibBpf.bpf_object__find_map_by_name(obj, "events"), "finding map events");
            LibBpf.Check(LibBpf.bpf_map__set_max_entries(events, ringBytes), $"sizing the ring buffer to {ringBytes} bytes");
            var multi = LibBpf.CheckPtr(LibBpf.bpf_object__find_program_by_name(obj, MultiProgramName), "finding program " + MultiProgramName);
            // The kernel accepts a uprobe_multi link only for a program loaded with this expected attach type (FACTS.md).
            if (withMulti) LibBpf.Check(LibBpf.bpf_program__set_expected_attach_type(multi, BpfSyscall.TraceUprobeMulti), "setting the uprobe_multi attach type");
            else LibBpf.Check(LibBpf.bpf_program__set_autoload(multi, false), "disabling the uprobe_multi program");
            LibBpf.Check(LibBpf.bpf_object__load(obj), "loading the BPF program (needs root or CAP_BPF+CAP_PERFMON, and BPF ring buffers)");
            var prog = LibBpf.CheckPtr(LibBpf.bpf_object__find_program_by_name(obj, "calltape_probe"), "finding program calltape_probe");
            int Fd(string name) => LibBpf.Check(LibBpf.bpf_map__fd(LibBpf.CheckPtr(LibBpf.bpf_object__find_map_by_name(obj, name), "finding map " + name)), "map fd " + name);
            var multiFd = withMulti ? LibBpf.Check(LibBpf.bpf_program__fd(multi), "program fd " + MultiProgramName) : -1;
            return new BpfProgram(mem, obj, prog, multiFd, Fd("events"), Fd("plans"), Fd("counters"));
        }
        catch
        {
            obj.Dispose();
            NativeMemory.Free((void*)mem);
            throw;
        }
    }

    /// <summary>Writes a probe's capture plan into the plans map, where the BPF program looks it up by cookie.</summary>
    public void SetPlan(int id, CapturePlan plan, ulong linkIp)
    {
        var p = PlanEncoder.Encode(plan, linkIp);
        var key = (uint)id;
        LibBpf.Check(LibBpf.bpf_map_update_elem(PlansFd, &key, &p, 0), $"writing the plan of probe {id}");
    }

    /// <summary>Attaches the program at a file offset of a binary; pid -1 means every process mapping it.</summary>
    /// <param name="retprobe">A uretprobe: fires when the function at fileOffset returns (never for Go: FACTS.md).</param>
    public BpfLinkHandle Attach(int id, CapturePlan plan, string binaryPath, ulong fileOffset, int pid, bool retprobe = false)
    {
        var opts = new BpfUprobeOpts { Sz = (nuint)sizeof(BpfUprobeOpts), BpfCookie = CookieOf(id, plan), Retprobe = retprobe ? (byte)1 : (byte)0 };
        var link = LibBpf.bpf_program__attach_uprobe_opts(_program, pid, binaryPath, (nuint)fileOffset, opts);
        return LibBpfHandle.Wrap<BpfLinkHandle>(LibBpf.CheckPtr(link, $"attaching a uprobe to {binaryPath}+0x{fileOffset:x}"));
    }

    /// <summary>Reads the per-CPU hit and drop counters of probes 0..count-1.</summary>
    public List<LossCounter> ReadCounters(int count)
    {
        var result = new List<LossCounter>(count * _cpus);
        // A per-CPU lookup fills one value slot per possible CPU, each rounded up to 8 bytes (FACTS.md).
        var values = stackalloc CtCounters[_cpus];
        for (var id = 0; id < count; id++)
        {
            var key = (uint)id;
            LibBpf.Check(LibBpf.bpf_map_lookup_elem(CountersFd, &key, values), $"reading the counters of probe {id}");
            for (var cpu = 0; cpu < _cpus; cpu++)
                if (values[cpu].Hits != 0 || values[cpu].Drops != 0)
                    result.Add(new LossCounter(id, cpu, values[cpu].Hits, values[cpu].Drops));
        }
        return result;
    }

    public void Dispose()
    {
        _object.Dispose();
        NativeMemory.Free((void*)_objectMemory);
    }
}
