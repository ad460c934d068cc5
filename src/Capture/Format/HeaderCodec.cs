using Calltape.Capture.Model;
using MessagePack;

namespace Calltape.Capture.Format;

/// <summary>Encodes the session header as MessagePack maps with string keys (docs/FORMAT.md, "Header").</summary>
/// <remarks>Hand-written against MessagePackWriter/Reader: the recorder is native AOT, where the attribute-driven serializer's codegen is unavailable. Readers skip keys they do not know.</remarks>
public static class HeaderCodec
{
    public static void Write(ref MessagePackWriter w, SessionHeader h)
    {
        // "minor" is written only when a probe records stacks, so other captures stay byte-identical to minor 0.
        var minor = h.Probes.Any(p => p.Plan.UserStack > 0) ? CaptureFormat.Minor : 0;
        w.WriteMapHeader(9 + (minor > 0 ? 1 : 0));
        w.Write("version"); w.Write(h.FormatVersion);
        if (minor > 0) { w.Write("minor"); w.Write(minor); }
        w.Write("capture_id"); w.Write(h.CaptureId);
        w.Write("host"); w.Write(h.Host);
        w.Write("kernel"); w.Write(h.Kernel);
        w.Write("clock"); w.WriteArrayHeader(2); w.Write(h.Clock.MonotonicNs); w.Write(h.Clock.RealtimeNs);
        w.Write("cmdline"); WriteStrings(ref w, h.CommandLine);
        w.Write("target"); w.Write(h.Target);
        w.Write("binaries");
        w.WriteArrayHeader(h.Binaries.Count);
        foreach (var b in h.Binaries) WriteBinary(ref w, b);
        w.Write("probes");
        w.WriteArrayHeader(h.Probes.Count);
        foreach (var p in h.Probes) WriteProbe(ref w, p);
    }

    public static SessionHeader Read(ref MessagePackReader r)
    {
        int version = 0, minor = 0; string id = "", host = "", kernel = "", target = "";
        ClockSync clock = default; string[] cmd = []; var bins = new List<BinaryInfo>(); var probes = new List<ProbeSpec>();
        var n = r.ReadMapHeader();
        for (var i = 0; i < n; i++)
        {
            switch (r.ReadString())
            {
                case "version": version = r.ReadInt32(); break;
                case "minor": minor = r.ReadInt32(); break;
                case "capture_id": id = ReadStr(ref r); break;
                case "host": host = ReadStr(ref r); break;
                case "kernel": kernel = ReadStr(ref r); break;
                case "clock": Expect(ref r, 2); clock = new ClockSync(r.ReadInt64(), r.ReadInt64()); break;
                case "cmdline": cmd = ReadStrings(ref r); break;
                case "target": target = ReadStr(ref r); break;
                case "binaries": for (int k = 0, c = r.ReadArrayHeader(); k < c; k++) bins.Add(ReadBinary(ref r)); break;
                case "probes": for (int k = 0, c = r.ReadArrayHeader(); k < c; k++) probes.Add(ReadProbe(ref r)); break;
                default: r.Skip(); break;
            }
        }
        return new SessionHeader(version, id, host, kernel, clock, cmd, target, bins, probes) { FormatMinor = minor };
    }

    private static void WriteBinary(ref MessagePackWriter w, BinaryInfo b)
    {
        w.WriteArrayHeader(5);
        w.Write(b.Path); w.Write(b.GnuBuildId); w.Write(b.GoBuildId); w.Write(b.Size); w.Write(b.MtimeUnixNs);
    }

    private static BinaryInfo ReadBinary(ref MessagePackReader r)
    {
        Expect(ref r, 5);
        return new BinaryInfo(ReadStr(ref r), r.ReadString(), r.ReadString(), r.ReadInt64(), r.ReadInt64());
    }

    private static void WriteProbe(ref MessagePackWriter w, ProbeSpec p)
    {
        // The return keys are written only for exits, so an entry-only capture is byte-identical to one from
        // before they existed; readers default a missing key (docs/FORMAT.md, "Probe map").
        var exit = p.Kind == ProbeKind.Exit;
        w.WriteMapHeader(11 + (p.Note is null ? 0 : 1) + (exit ? 3 : 0) + (p.GoidDeref >= 0 ? 1 : 0) + (p.Plan.UserStack > 0 ? 1 : 0));
        w.Write("id"); w.Write(p.Id);
        w.Write("function"); w.Write(p.Function);
        w.Write("binary"); w.Write(p.Binary);
        w.Write("address"); w.Write(p.Address);
        w.Write("probe_offset"); w.Write(p.ProbeOffset);
        w.Write("file_offset"); w.Write(p.FileOffset);
        w.Write("abi"); w.Write((int)p.Abi);
        w.Write("regs");
        w.WriteArrayHeader(p.Plan.Registers.Count);
        foreach (var reg in p.Plan.Registers) w.Write((int)reg);
        w.Write("stack_len"); w.Write(p.Plan.StackLen);
        w.Write("derefs");
        w.WriteArrayHeader(p.Plan.Derefs.Count);
        foreach (var d in p.Plan.Derefs)
        {
            // The 3 trailing elements (chained sources, element scale) only when used, and an 11th (outside_image) only
            // when set: older captures stay identical.
            var chained = d.Ptr.Kind == SourceKind.Deref || d.Len.Kind == SourceKind.Deref || d.Scale != 0 || d.OutsideImage;
            w.WriteArrayHeader(d.OutsideImage ? 11 : chained ? 10 : 7);
            w.Write((int)d.Ptr.Kind); w.Write(d.Ptr.Index); w.Write((int)d.Len.Kind); w.Write(d.Len.Index); w.Write(d.MaxLen);
            w.Write(d.CString); w.Write(d.Offset);
            if (chained) { w.Write(d.Ptr.Deref); w.Write(d.Len.Deref); w.Write(d.Scale); }
            if (d.OutsideImage) w.Write(true);
        }
        w.Write("params");
        w.WriteArrayHeader(p.Params.Count);
        foreach (var a in p.Params) WriteParam(ref w, a);
        if (p.Note is not null) { w.Write("note"); w.Write(p.Note); }
        if (exit)
        {
            w.Write("kind"); w.Write((int)p.Kind);
            w.Write("entry"); w.Write(p.EntryProbe);
            w.Write("retprobe"); w.Write(p.Uretprobe);
        }
        if (p.GoidDeref >= 0) { w.Write("goid"); w.Write(p.GoidDeref); }
        if (p.Plan.UserStack > 0) { w.Write("ustack"); w.Write(p.Plan.UserStack); }
    }

    private static ProbeSpec ReadProbe(ref MessagePackReader r)
    {
        int id = 0, binary = 0, stackLen = 0, entry = -1, goid = -1, ustack = 0; var kind = ProbeKind.Entry; var retprobe = false; string fn = ""; string? note = null; ulong addr = 0, pOff = 0, fOff = 0; var abi = AbiKind.Raw;
        var regs = new List<Reg>(); var derefs = new List<DerefSpec>(); var ps = new List<ParamSpec>();
        var n = r.ReadMapHeader();
        for (var i = 0; i < n; i++)
        {
            switch (r.ReadString())
            {
                case "id": id = r.ReadInt32(); break;
                case "function": fn = ReadStr(ref r); break;
                case "binary": binary = r.ReadInt32(); break;
                case "address": addr = r.ReadUInt64(); break;
                case "probe_offset": pOff = r.ReadUInt64(); break;
                case "file_offset": fOff = r.ReadUInt64(); break;
                case "abi": abi = (AbiKind)r.ReadInt32(); break;
                case "regs": for (int k = 0, c = r.ReadArrayHeader(); k < c; k++) regs.Add(CheckReg(r.ReadInt32())); break;
                case "stack_len": stackLen = r.ReadInt32(); break;
                case "derefs":
                    for (int k = 0, c = r.ReadArrayHeader(); k < c; k++)
                    {
                        var count = r.ReadArrayHeader();
                        if (count is not (7 or 10 or 11)) throw new InvalidDataException($"a dereference has {count} elements, not 7, 10 or 11");
                        var ptr = new Source((SourceKind)r.ReadInt32(), r.ReadInt32());
                        var len = new Source((SourceKind)r.ReadInt32(), r.ReadInt32());
                        var d = new DerefSpec(ptr, len, r.ReadInt32(), r.ReadBoolean(), r.ReadInt32());
                        if (count >= 10)
                            d = d with { Ptr = ptr with { Deref = r.ReadInt32() }, Len = len with { Deref = r.ReadInt32() }, Scale = r.ReadInt32() };
                        if (count == 11) d = d with { OutsideImage = r.ReadBoolean() };
                        derefs.Add(d);
                    }
                    break;
                case "params": for (int k = 0, c = r.ReadArrayHeader(); k < c; k++) ps.Add(ReadParam(ref r)); break;
                case "note": note = r.ReadString(); break;
                case "kind": kind = (ProbeKind)r.ReadInt32(); break;
                case "entry": entry = r.ReadInt32(); break;
                case "retprobe": retprobe = r.ReadBoolean(); break;
                case "goid": goid = r.ReadInt32(); break;
                case "ustack": ustack = r.ReadInt32(); break;
                default: r.Skip(); break;
            }
        }
        return new ProbeSpec(id, fn, binary, addr, pOff, fOff, abi, new CapturePlan(regs, stackLen, derefs) { UserStack = ustack }, ps)
        {
            Note = note, Kind = kind, EntryProbe = entry, Uretprobe = retprobe, GoidDeref = goid,
        };
    }

    private static void WriteParam(ref MessagePackWriter w, ParamSpec p)
    {
        // A 6th element, the value tree, only for composite values: scalar and string params stay as before.
        w.WriteArrayHeader(p.Value is null ? 5 : 6);
        w.Write(p.Name);
        WriteType(ref w, p.Type);
        w.WriteArrayHeader(p.Pieces.Count * 2);
        foreach (var s in p.Pieces) { w.Write((int)s.Kind); w.Write(s.Index); }
        w.Write(p.Deref);
        w.Write(p.NotCaptured);
        if (p.Value is not null) WriteValue(ref w, p.Value);
    }

    private static ParamSpec ReadParam(ref MessagePackReader r)
    {
        var n = r.ReadArrayHeader();
        if (n is not (5 or 6)) throw new InvalidDataException($"a param has {n} elements, not 5 or 6");
        var name = ReadStr(ref r);
        var type = ReadType(ref r);
        var pieces = new List<Source>();
        var c = r.ReadArrayHeader() / 2;
        for (var k = 0; k < c; k++) pieces.Add(new Source((SourceKind)r.ReadInt32(), r.ReadInt32()));
        var p = new ParamSpec(name, type, pieces, r.ReadInt32(), r.ReadString());
        return n == 6 ? p with { Value = ReadValue(ref r, 0) } : p;
    }

    /// <summary>A value tree: [at_kind, at_index, at_deref, reg_offset, [parts], deref, [targets], not_captured, type_deref?].</summary>
    private static void WriteValue(ref MessagePackWriter w, ValueSpec v)
    {
        // type_deref only for an interface that has one: every other tree stays as before.
        w.WriteArrayHeader(v.TypeDeref >= 0 ? 9 : 8);
        w.Write((int)v.At.Kind); w.Write(v.At.Index); w.Write(v.At.Deref); w.Write(v.RegOffset);
        w.WriteArrayHeader(v.Parts.Count);
        foreach (var p in v.Parts) WriteValue(ref w, p);
        w.Write(v.Deref);
        w.WriteArrayHeader(v.Targets.Count);
        foreach (var t in v.Targets) WriteValue(ref w, t);
        w.Write(v.NotCaptured);
        if (v.TypeDeref >= 0) w.Write(v.TypeDeref);
    }

    private static ValueSpec ReadValue(ref MessagePackReader r, int depth)
    {
        // Trees are as deep as the planner's pointer depth; a bound keeps a malformed header from exhausting the stack.
        if (depth > 64) throw new InvalidDataException("a value tree is nested more than 64 levels");
        var n = r.ReadArrayHeader();
        if (n is not (8 or 9)) throw new InvalidDataException($"a value tree has {n} elements, not 8 or 9");
        var at = new Source((SourceKind)r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
        var regOffset = r.ReadInt32();
        var parts = new ValueSpec[r.ReadArrayHeader()];
        for (var i = 0; i < parts.Length; i++) parts[i] = ReadValue(ref r, depth + 1);
        var deref = r.ReadInt32();
        var targets = new ValueSpec[r.ReadArrayHeader()];
        for (var i = 0; i < targets.Length; i++) targets[i] = ReadValue(ref r, depth + 1);
        var value = new ValueSpec(at) { RegOffset = regOffset, Parts = parts, Deref = deref, Targets = targets, NotCaptured = r.ReadString() };
        return n == 9 ? value with { TypeDeref = r.ReadInt32() } : value;
    }

    private static void WriteType(ref MessagePackWriter w, TypeDesc t)
    {
        w.WriteArrayHeader(6);
        w.Write(t.Name); w.Write((int)t.Kind); w.Write(t.Size); w.Write(t.Count);
        if (t.Elem is null) w.WriteNil(); else WriteType(ref w, t.Elem);
        w.WriteArrayHeader(t.Fields.Count);
        foreach (var f in t.Fields)
        {
            // A 4th and 5th element, the bit-field width and first bit, only for bit-fields: other types stay as before.
            w.WriteArrayHeader(f.BitSize == 0 ? 3 : f.BitOffset < 0 ? 4 : 5); w.Write(f.Name); w.Write(f.Offset); WriteType(ref w, f.Type);
            if (f.BitSize != 0) w.Write(f.BitSize);
            if (f.BitSize != 0 && f.BitOffset >= 0) w.Write(f.BitOffset);
        }
    }

    private static TypeDesc ReadType(ref MessagePackReader r)
    {
        Expect(ref r, 6);
        var name = ReadStr(ref r); var kind = (TypeKind)r.ReadInt32(); var size = r.ReadInt32(); var count = r.ReadInt64();
        TypeDesc? elem = r.TryReadNil() ? null : ReadType(ref r);
        var fields = new List<FieldDesc>();
        for (int k = 0, c = r.ReadArrayHeader(); k < c; k++)
        {
            var n = r.ReadArrayHeader();
            if (n is < 3 or > 5) throw new InvalidDataException($"a field has {n} elements, not 3 to 5");
            var fname = ReadStr(ref r); var off = r.ReadInt32();
            var field = new FieldDesc(fname, off, ReadType(ref r));
            if (n >= 4) field = field with { BitSize = r.ReadInt32() };
            if (n >= 5) field = field with { BitOffset = r.ReadInt32() };
            fields.Add(field);
        }
        return new TypeDesc(name, kind, size) { Elem = elem, Count = count, Fields = fields };
    }

    private static void WriteStrings(ref MessagePackWriter w, IReadOnlyList<string> s)
    {
        w.WriteArrayHeader(s.Count);
        foreach (var x in s) w.Write(x);
    }

    private static string[] ReadStrings(ref MessagePackReader r)
    {
        var a = new string[r.ReadArrayHeader()];
        for (var i = 0; i < a.Length; i++) a[i] = ReadStr(ref r);
        return a;
    }

    private static string ReadStr(ref MessagePackReader r) => r.ReadString() ?? "";

    private static Reg CheckReg(int v) =>
        v is >= 0 and < Abis.RegisterCount ? (Reg)v : throw new InvalidDataException($"register index {v} out of range");

    private static void Expect(ref MessagePackReader r, int count)
    {
        var c = r.ReadArrayHeader();
        if (c != count) throw new InvalidDataException($"expected an array of {count}, found {c}");
    }
}
