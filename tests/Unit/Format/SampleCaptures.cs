using Calltape.Capture.Format;
using Calltape.Capture.Model;

namespace Calltape.Tests.Unit.Format;

/// <summary>Hand-built headers and events for format tests (no kernel, no binaries).</summary>
internal static class SampleCaptures
{
    public static readonly TypeDesc Int64 = new("int64", TypeKind.Int, 8);
    public static readonly TypeDesc Bool = new("bool", TypeKind.Bool, 1);
    public static readonly TypeDesc GoString = new("string", TypeKind.String, 16);

    /// <summary>main.record(id int64, name string, ok bool): RAX, (RBX, RCX) with a deref, RDI.</summary>
    public static ProbeSpec Record(int id = 0) => new(
        id, "main.record", 0, 0x401000, 4, 0x1004, AbiKind.GoRegs,
        new CapturePlan([Reg.Rax, Reg.Rbx, Reg.Rcx, Reg.Rdi], 0, [new DerefSpec(Source.Of(Reg.Rbx), Source.Of(Reg.Rcx), 8)]),
        [
            new ParamSpec("id", Int64, [Source.Of(Reg.Rax)]),
            new ParamSpec("name", GoString, [Source.Of(Reg.Rbx), Source.Of(Reg.Rcx)], 0),
            new ParamSpec("ok", Bool, [Source.Of(Reg.Rdi)]),
        ]);

    public static SessionHeader Header(params ProbeSpec[] probes) => new(
        CaptureFormat.Version, "test", "host", "6.18", new ClockSync(1_000, 1_700_000_000_000_000_000),
        ["calltape-record", "-p", "main.record"], "exe:/bin/x",
        [new BinaryInfo("/bin/x", "abcd", null, 10, 20)], probes);

    /// <summary>Writes one main.record event; the string is capped at the plan's 8 bytes.</summary>
    public static void WriteRecord(CaptureWriter w, ulong ktime, uint tid, long id, string name, bool ok)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(name);
        var kept = bytes.AsSpan(0, Math.Min(8, bytes.Length));
        ulong[] regs = [(ulong)id, 0xc000010000, (ulong)bytes.Length, ok ? 1UL : 0];
        w.WriteEvent(0, ktime, 42, tid, regs, false, default, kept, [new DerefSlice(0, kept.Length, bytes.Length, 0)]);
    }
}
