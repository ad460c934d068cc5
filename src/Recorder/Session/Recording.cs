using System.Runtime.InteropServices;
using Calltape.Capture;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Recorder.Native;
using Calltape.Recorder.Planning;
using Calltape.Symbols;

namespace Calltape.Recorder.Session;

/// <summary>One recording session: plan, load, attach, drain on a timer until a stop condition, detach, finish.</summary>
internal sealed class Recording
{
    // Drain period. The ring is sized for far more than this at the highest rates seen (FACTS.md: 16 MB lost
    // nothing at 1 M events/s), and no wakeup is paid per event.
    private static readonly TimeSpan DrainEvery = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(1);

    private readonly RecordOptions _o;
    private readonly ManualResetEventSlim _stop = new();
    private string? _signal;

    public Recording(RecordOptions options) => _o = options;

    public int Run(string[] commandLine)
    {
        Preflight.Check();
        LibBpfLog.Install(_o.Verbose);
        using var target = CreateTarget();
        var (binaries, paths, probes) = SessionProbes.Resolve(target.BinaryPath, target.MapsPid, _o.Functions, new PlanOptions(_o.StringMax), _o.Returns);
        if (_o.Exe is not null)
            foreach (var lib in paths.Skip(1)) Console.Error.WriteLine($"recording: {lib} is traced in every process that maps it (--exe filters no pid)");
        var redaction = Redaction.Apply(probes, _o.Redact, Console.Error);
        probes = StackRequest.Apply(redaction.Probes, _o.Stack, _o.StackDepth);
        // DistinctBy: a Go function's exit probes (one per RET) share one note.
        foreach (var p in probes.Where(p => p.Note is not null).DistinctBy(p => (p.Function, p.Kind, p.Note)))
            Console.Error.WriteLine($"recording: {p.Function}: {p.Note}");

        var header = new SessionHeader(
            CaptureFormat.Version, Guid.NewGuid().ToString("N"), Environment.MachineName,
            File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), SampleClocks(), commandLine,
            target.Describe(), binaries, probes);

        using var bpf = BpfProgram.Load(_o.RingBytes);
        foreach (var p in probes) bpf.SetPlan(p.Id, p.Plan, p.ProbeAddress);
        using var writer = CaptureWriter.Create(_o.Output, header, _o.ChunkSize);
        using var sink = new EventSink(writer, probes, bpf.EventsFd, redaction.ZeroedStack, paths);
        AttachedProbes? links = null;
        try
        {
            target.Prepare();
            links = AttachedProbes.Attach(bpf, probes, paths, target.AttachPid);
            // A shell starts background jobs with SIGINT ignored, and .NET then leaves it ignored. Like perf record,
            // the recorder owns its stop signals whatever it inherited, so `kill -INT` always stops it cleanly.
            Libc.signal(Libc.SigInt, 0);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            Console.Error.WriteLine($"recording: attached {links.Count} probes in {links.Elapsed.TotalSeconds:0.000} s ({links.Mode}) to {target.BinaryPath} ({target.Describe()})");
            target.Start();

            var reason = Loop(target, bpf, writer, sink, probes);

            // Detach first so nothing new arrives, then take what is left in the ring and the final counters.
            links.Dispose();
            sink.Drain();
            var counters = bpf.ReadCounters(probes.Count);
            writer.WriteLoss(Ktime(), counters);
            writer.Complete(Ktime(), reason);
            new StatusLine(probes, !_o.Quiet).Summary(reason, sink.Total,
                Sum(counters, c => c.Hits), Sum(counters, c => c.Drops), writer.BytesWritten, writer.ChunkCount, _o.Output, sink.PerProbe);
            if (writer.StacksWritten > 0)
                Console.Error.WriteLine($"recording: {writer.StacksWritten} user stacks written for {sink.Total} events (each distinct stack once per chunk)");
            if (sink.Malformed > 0) Console.Error.WriteLine($"recording: warning: {sink.Malformed} malformed ring records ignored");
        }
        finally
        {
            links?.Dispose();
        }
        if (_o.Command.Count > 0)
        {
            // Launch mode returns the command's own exit code, like `perf record -- CMD`.
            while (target.StopReason() is null) Thread.Sleep(10);
            return target.ExitCode;
        }
        return ExitCodes.Ok;
    }

    private string Loop(Target target, BpfProgram bpf, CaptureWriter writer, EventSink sink, IReadOnlyList<ProbeSpec> probes)
    {
        var status = new StatusLine(probes, !_o.Quiet);
        var started = DateTime.UtcNow;
        var nextFlush = started + FlushEvery;
        while (true)
        {
            _stop.Wait(DrainEvery);
            sink.Drain();
            var now = DateTime.UtcNow;
            if (_signal is not null) return _signal;
            if (target.StopReason() is { } why) return why;
            if (_o.Duration is { } d && now - started >= d) return $"duration {d.TotalSeconds:0.###} s reached";
            if (_o.MaxEvents is { } me && sink.Total >= me) return $"{me} events reached";
            if (_o.MaxSize is { } ms && writer.BytesWritten >= ms) return $"{StatusLine.Human(ms)} reached";
            if (now >= nextFlush)
            {
                nextFlush = now + FlushEvery;
                var counters = bpf.ReadCounters(probes.Count);
                writer.WriteLoss(Ktime(), counters);
                writer.Flush();
                status.Update(sink.Total, Sum(counters, c => c.Drops), writer.BytesWritten, sink.PerProbe);
            }
        }
    }

    private void OnSignal(PosixSignalContext ctx)
    {
        ctx.Cancel = true; // stop cleanly: detach, drain, write the trailer
        _signal = ctx.Signal == PosixSignal.SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)";
        _stop.Set();
    }

    private Target CreateTarget()
    {
        var given = (_o.Exe is not null ? 1 : 0) + (_o.Pid is not null ? 1 : 0) + (_o.Command.Count > 0 ? 1 : 0);
        if (given != 1) throw new CalltapeException("give exactly one target: --exe PATH, --pid PID, or -- COMMAND [ARGS]");
        if (_o.Exe is not null) return Target.ForExe(_o.Exe);
        if (_o.Pid is { } pid) return Target.ForPid(pid);
        return Target.ForLaunch(_o.Command);
    }

    private static ulong Ktime() => (ulong)Libc.Now(Libc.ClockMonotonic);

    /// <summary>Pairs CLOCK_MONOTONIC (BPF ktime) with CLOCK_REALTIME from the tightest of several bracketed reads.</summary>
    private static ClockSync SampleClocks()
    {
        var best = long.MaxValue;
        ClockSync sync = default;
        for (var i = 0; i < 16; i++)
        {
            var a = Libc.Now(Libc.ClockMonotonic);
            var r = Libc.Now(Libc.ClockRealtime);
            var b = Libc.Now(Libc.ClockMonotonic);
            if (b - a < best)
            {
                best = b - a;
                sync = new ClockSync(a + (b - a) / 2, r);
            }
        }
        return sync;
    }

    private static ulong Sum(List<LossCounter> cs, Func<LossCounter, ulong> f)
    {
        ulong s = 0;
        foreach (var c in cs) s += f(c);
        return s;
    }
}
