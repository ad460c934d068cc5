using System.Text;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Tests.Support;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>Builds small captures by hand: main.computeE(iterations int64) and main.lookup(id int64, name string, ok bool).</summary>
internal static class SyntheticCapture
{
    public const int ComputeE = 1;
    public const int Lookup = 2;
    public const long RealtimeBase = 1_700_000_000_000_000_000;
    public const long MonotonicBase = 5_000_000_000;

    private static readonly TypeDesc Int64 = new("int64", TypeKind.Int, 8);
    private static readonly TypeDesc Str = new("string", TypeKind.String, 16);
    private static readonly TypeDesc Bool = new("bool", TypeKind.Bool, 1);

    public static ProbeSpec ComputeEProbe { get; } = new(ComputeE, "main.computeE", 0, 0x4a1000, 4, 0xa1004, AbiKind.GoRegs,
        new CapturePlan([Reg.Rax], 0, []),
        [new ParamSpec("iterations", Int64, [Source.Of(Reg.Rax)])]);

    public static ProbeSpec LookupProbe { get; } = new(Lookup, "main.lookup", 0, 0x4a2000, 4, 0xa2004, AbiKind.GoRegs,
        new CapturePlan([Reg.Rax, Reg.Rbx, Reg.Rcx, Reg.Rdi], 0, [new DerefSpec(Source.Of(Reg.Rbx), Source.Of(Reg.Rcx), 64)]),
        [
            new ParamSpec("id", Int64, [Source.Of(Reg.Rax)]),
            new ParamSpec("name", Str, [Source.Of(Reg.Rbx), Source.Of(Reg.Rcx)], Deref: 0),
            new ParamSpec("ok", Bool, [Source.Of(Reg.Rdi)]),
        ]);

    public static SessionHeader Header(string binaryPath = "/nonexistent/calc", string? gnuBuildId = "0123456789abcdef", string? goBuildId = "go-build-id/x") =>
        new(CaptureFormat.Version, "cap-0001", "testhost", "6.18.0-test", new ClockSync(MonotonicBase, RealtimeBase),
            ["calltape-record", "-p", "main.computeE", "./calc"], "./calc",
            [new BinaryInfo(binaryPath, gnuBuildId, goBuildId, 123456, RealtimeBase - 1_000_000_000)],
            [ComputeEProbe, LookupProbe]);

    /// <summary>Wall-clock ns of an event written at ktime <paramref name="ktime"/>.</summary>
    public static long Wall(ulong ktime) => RealtimeBase + ((long)ktime - MonotonicBase);

    /// <summary>The standard small capture: 10 computeE calls (iterations 1..4 repeating) and 5 lookups of every kind.</summary>
    public static string Create(string? dir = null, SessionHeader? header = null, bool complete = true)
    {
        dir ??= Path.Combine(Repo.NewTempDir("cap"), "incident.ctape");
        using var w = CaptureWriter.Create(dir, header ?? Header());
        var t = (ulong)MonotonicBase + 1000;
        for (var i = 0; i < 10; i++) w.WriteEvent(ComputeE, t += 100, 42, 42 + (uint)(i % 2), [(ulong)(i % 4 + 1)], false, [], [], []);
        WriteLookup(w, t += 100, 7, "alice", true);
        WriteLookup(w, t += 100, unchecked((ulong)-3), "", false);
        WriteLookup(w, t += 100, 9, new string('x', 100), true, captured: 64);
        WriteLookup(w, t += 100, 10, "héllo \"q\"", false);
        w.WriteEvent(Lookup, t += 100, 42, 43, [11, 0xdead, 5, 1], false, [], [], [new DerefSlice(0, 0, 5, -14)]);
        w.WriteLoss(t, [new LossCounter(ComputeE, 0, 8, 0), new LossCounter(ComputeE, 1, 4, 2), new LossCounter(Lookup, 0, 5, 0)]);
        if (complete) w.Complete(t + 1, "target exited");
        return dir;
    }

    public static void WriteLookup(CaptureWriter w, ulong ktime, ulong id, string name, bool ok, int? captured = null)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        var n = Math.Min(bytes.Length, captured ?? bytes.Length);
        w.WriteEvent(Lookup, ktime, 42, 43, [id, bytes.Length == 0 ? 0UL : 0x7000_0000, (ulong)bytes.Length, ok ? 1UL : 0UL], false, [],
            bytes.AsSpan(0, n), [new DerefSlice(0, n, bytes.Length, 0)]);
    }

    /// <summary>A big capture for throughput: <paramref name="events"/> alternating computeE and lookup hits.</summary>
    public static string CreateLarge(string dir, long events, long chunkSize = CaptureFormat.DefaultChunkSize)
    {
        using var w = CaptureWriter.Create(dir, Header(), chunkSize);
        var names = new[] { "alpha", "bravo", "charlie", "delta-delta", "echo" }.Select(Encoding.UTF8.GetBytes).ToArray();
        var t = (ulong)MonotonicBase;
        Span<ulong> regs = stackalloc ulong[4];
        for (long i = 0; i < events; i++)
        {
            t += 50;
            var tid = 100 + (uint)(i % 8);
            if ((i & 1) == 0)
            {
                regs[0] = (ulong)(i % 1000);
                w.WriteEvent(ComputeE, t, 100, tid, regs[..1], false, [], [], []);
            }
            else
            {
                var name = names[i % names.Length];
                regs[0] = (ulong)i; regs[1] = 0x7000_0000; regs[2] = (ulong)name.Length; regs[3] = (ulong)(i & 2) >> 1;
                w.WriteEvent(Lookup, t, 100, tid, regs, false, [], name, [new DerefSlice(0, name.Length, name.Length, 0)]);
            }
        }
        w.WriteLoss(t, [new LossCounter(ComputeE, 0, (ulong)(events / 2), 0)]);
        w.Complete(t + 1, "done");
        return dir;
    }
}
