using System.Buffers.Binary;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Tests.Support;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>A hand-made capture with returns for replay and report: Go main.outer calling main.inner twice on one
/// goroutine that changes threads, a C leaf on another thread, and 3 main.inner events lost between two snapshots.</summary>
internal static class NestedCapture
{
    public const ulong G1 = 0xc000001000;
    public const ulong T0 = (ulong)SyntheticCapture.MonotonicBase + 1000;
    private static readonly TypeDesc Int64 = new("int64", TypeKind.Int, 8);
    private static readonly TypeDesc CInt = new("int", TypeKind.Int, 4);

    private static ProbeSpec GoEntry(int id, string fn, string arg) => new(id, fn, 0, 0x4a1000 + (ulong)id * 0x100, 4, 0xa1004, AbiKind.GoRegs,
        new CapturePlan([Reg.Rax, Reg.R14], 0, []), [new ParamSpec(arg, Int64, [Source.Of(Reg.Rax)])]);

    private static ProbeSpec GoExit(int id, int entry, string fn) => new(id, fn, 0, 0x4a1000, 0x30, 0xa1030, AbiKind.GoRegs,
        new CapturePlan([Reg.Rax, Reg.R14, Reg.Rsp], 0, [new DerefSpec(Source.Of(Reg.R14), Source.None, 8, Offset: 152)]),
        [new ParamSpec("r0", Int64, [Source.Of(Reg.Rax)])]) { Kind = ProbeKind.Exit, EntryProbe = entry, GoidDeref = 0 };

    public static SessionHeader Header() => SyntheticCapture.Header() with
    {
        Probes =
        [
            GoEntry(0, "main.outer", "n"), GoExit(1, 0, "main.outer"),
            GoEntry(2, "main.inner", "x"), GoExit(3, 2, "main.inner"),
            new ProbeSpec(4, "c_leaf", 0, 0x1290, 0, 0x1290, AbiKind.SysV, new CapturePlan([Reg.Rdi], 0, []),
                [new ParamSpec("v", CInt, [Source.Of(Reg.Rdi)])]),
            new ProbeSpec(5, "c_leaf", 0, 0x1290, 0, 0x1290, AbiKind.SysV, new CapturePlan([Reg.Rax], 0, []),
                [new ParamSpec("r0", CInt, [Source.Of(Reg.Rax)])]) { Kind = ProbeKind.Exit, EntryProbe = 4, Uretprobe = true },
        ],
    };

    public static string Create()
    {
        var dir = Path.Combine(Repo.NewTempDir("replay"), "nested.ctape");
        using var w = CaptureWriter.Create(dir, Header());
        var goid = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(goid, 7);
        void Enter(int probe, ulong at, uint tid, ulong arg) => w.WriteEvent(probe, T0 + at, 100, tid, [arg, G1], false, [], [], []);
        void Exit(int probe, ulong at, uint tid, ulong r0) =>
            w.WriteEvent(probe, T0 + at, 100, tid, [r0, G1, 0x7ff0], false, [], goid, [new DerefSlice(0, 8, 8, 0)]);

        Enter(0, 100, 10, 3);                                                 // outer(n=3) {
        Enter(2, 110, 10, 1);                                                 //   inner(x=1) = 2      20 ns
        w.WriteLoss(T0 + 120, [new LossCounter(2, 0, 1, 0)]);
        Exit(3, 130, 10, 2);
        Enter(2, 140, 11, 2);                                                 //   inner(x=2) = 4      30 ns (moved to thread 11)
        w.WriteEvent(4, T0 + 150, 100, 20, [5], false, [], [], []);          // c_leaf(v=5) = 9     10 ns, thread 20
        w.WriteEvent(5, T0 + 160, 100, 20, [9], false, [], [], []);
        Exit(3, 170, 11, 4);
        w.WriteLoss(T0 + 180, [new LossCounter(2, 0, 5, 3)]);               // --- 3 events lost here ---
        Exit(1, 200, 12, 6);                                                 // } /* main.outer */ = 6   100 ns
        w.Complete(T0 + 300, "done");
        return dir;
    }
}
