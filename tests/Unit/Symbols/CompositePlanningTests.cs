using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>Value trees and chained dereferences planned for the composite Go fixture (tests/fixtures/go/composite).</summary>
public class CompositePlanningTests
{
    private static readonly string[] Functions =
        ["main.takePoint", "main.takeRect", "main.takeBig", "main.takeAfterBig", "main.takeSmall", "main.takeInts", "main.takeStrings",
         "main.takeArray", "main.takeOrder", "main.takeError", "main.takeAny", "main.takeMap", "main.takeFloats", "main.takeManyFloats"];

    private static Dictionary<string, ProbeSpec> Plan(GoToolchain go, string flags = "")
    {
        var path = Fixtures.BuildGo("composite", go, flags);
        var elf = ElfImage.Open(path);
        var dwarf = DwarfReader.Load(elf)!;
        return Functions.ToDictionary(f => f, f =>
        {
            var fn = elf.FindFunction(f)!;
            return ProbePlanner.Plan(0, 0, elf, fn, dwarf.FindFunction(fn.Name, fn.Address), new PlanOptions());
        });
    }

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void EveryPlanFitsTheBpfProgram(GoToolchain go)
    {
        foreach (var (name, p) in Plan(go))
        {
            Assert.True(p.Plan.Derefs.Count <= ProbePlanner.MaxDerefs, name);
            Assert.True(p.Plan.StackLen <= ProbePlanner.MaxStackWindow, name);
            for (var i = 0; i < p.Plan.Derefs.Count; i++)
            {
                var d = p.Plan.Derefs[i];
                Assert.True(d.MaxLen is > 0 and <= ProbePlanner.MaxDerefLength && d.Scale is >= 0 and <= 255, $"{name} #{i}");
                // A chained source reads an earlier dereference, within the bytes it can copy.
                foreach (var s in new[] { d.Ptr, d.Len }.Where(s => s.Kind == SourceKind.Deref))
                    Assert.True(s.Deref < i && s.Index + 8 <= p.Plan.Derefs[s.Deref].MaxLen, $"{name} #{i} reads {s}");
            }
            Assert.All(p.Params, q => Assert.True(q.NotCaptured is null or "float register", $"{name}.{q.Name}: {q.NotCaptured}"));
        }
    }

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void PositionIndependentExecutable_KeepsRipOnlyWhereInterfacesNeedTheLoadBias(GoToolchain go)
    {
        var fixedAddress = Plan(go);
        var pie = Plan(go, "-buildmode=pie");
        Assert.True(ElfImage.Open(Fixtures.BuildGo("composite", go, "-buildmode=pie")).IsPositionIndependent);
        Assert.False(ElfImage.Open(Fixtures.BuildGo("composite", go)).IsPositionIndependent);
        foreach (var (name, p) in pie)
        {
            var interfaces = p.Params.Any(q => q.Type.ContainsInterface());
            Assert.Equal(interfaces, p.Plan.IndexOf(Reg.Rip) >= 0);
            Assert.True(fixedAddress[name].Plan.IndexOf(Reg.Rip) < 0, name);
        }
        Assert.Contains(Reg.Rip, pie["main.takeError"].Plan.Registers);
        Assert.Contains(Reg.Rip, pie["main.takeAny"].Plan.Registers);
    }

    [Theory]
    [InlineData(GoToolchain.Go119, "")]
    [InlineData(GoToolchain.Go126, "")]
    [InlineData(GoToolchain.Go126, "-buildmode=pie")]
    public void NonEmptyInterface_ReadsItsItabsTypeWordOnlyOutsideTheBinary(GoToolchain go, string flags)
    {
        var p = Plan(go, flags)["main.takeAny"];
        var v = p.Params.Single(q => q.Name == "v").Value!;
        var s = p.Params.Single(q => q.Name == "s").Value!;
        // interface{} carries a *_type, which is named from the file: no itab, nothing more to read.
        Assert.Equal(-1, v.TypeDeref);
        // Shape's itab word is in its first part (a register): its type word is 8 bytes at +8, flagged outside-image.
        Assert.Equal(new DerefSpec(s.Parts[0].At, Source.None, 8, Offset: 8, OutsideImage: true), p.Plan.Derefs[s.TypeDeref]);

        // The BPF plan carries the flag, the probe's link-time address and the binary's bounds (bpf/calltape.h).
        var elf = ElfImage.Open(Fixtures.BuildGo("composite", go, flags));
        var bpf = Calltape.Recorder.Bpf.PlanEncoder.Encode(p.Plan, p.ProbeAddress);
        var flagged = new[] { bpf.Deref0, bpf.Deref1, bpf.Deref2, bpf.Deref3, bpf.Deref4, bpf.Deref5, bpf.Deref6, bpf.Deref7 }[s.TypeDeref];
        Assert.Equal(Calltape.Recorder.Bpf.BpfLimits.DerefOutsideImage, flagged.Flags);
        Assert.Equal(p.ProbeAddress, bpf.LinkIp);
        Assert.Equal(elf.ImageBounds, (bpf.ImageLo, bpf.ImageHi));
        Assert.True(bpf.ImageLo < p.ProbeAddress && p.ProbeAddress < bpf.ImageHi);
    }

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void OrderPointer_FieldsStringsAndNextThroughChainedDerefs(GoToolchain go)
    {
        var p = Plan(go)["main.takeOrder"];
        var d = p.Plan.Derefs;
        // Order{ID int; Name string; Qty int32; Price float64; Tags []string; Next *Order}: 72 bytes at RAX.
        Assert.Equal(new DerefSpec(Source.Of(Reg.Rax), Source.None, 72), d[0]);
        var o = p.Params[0].Value!;
        Assert.Equal((Source.Of(Reg.Rax), 0), (o.At, o.Deref));
        // Breadth first: Name's bytes, Tags' elements (16-byte strings) and *Next come from deref 0 before anything deeper.
        Assert.Equal(new DerefSpec(Source.InDeref(0, 8), Source.InDeref(0, 16), 256), d[1]);
        Assert.Equal(new DerefSpec(Source.InDeref(0, 40), Source.InDeref(0, 48), 1024, Scale: 16), d[2]);
        Assert.Equal(new DerefSpec(Source.InDeref(0, 64), Source.None, 72), d[3]);
        Assert.Equal(8, d.Count);
        var order = o.Targets.Single();
        Assert.Equal([1, 2, 3], order.Parts.Select(x => x.Deref).Where(x => x >= 0));
    }

    [Theory]
    [InlineData(GoToolchain.Go119, "")]
    [InlineData(GoToolchain.Go126, "")]
    [InlineData(GoToolchain.Go126, "\"-gcflags=all=-N -l\"")]
    public void RegistersFieldByField_StackBeyondNineWords(GoToolchain go, string flags)
    {
        var plans = Plan(go, flags);
        // Rect{Min, Max Point; Name string}: six registers, then scale in the seventh.
        var rect = plans["main.takeRect"].Params[0].Value!;
        Assert.Equal([Reg.Rax, Reg.Rbx, Reg.Rcx, Reg.Rdi], rect.Parts.Take(2).SelectMany(pt => pt.Parts).Select(x => (Reg)x.At.Index));
        Assert.Equal([Source.Of(Reg.Rsi), Source.Of(Reg.R8)], rect.Parts[2].Parts.Select(x => x.At));
        Assert.Equal([Source.Of(Reg.R9)], plans["main.takeRect"].Params[1].Pieces);
        // Big has ten words: stack-assigned as a whole; the string and int after it still get RAX, RBX and RCX.
        var after = plans["main.takeAfterBig"];
        Assert.Equal(SourceKind.Stack, after.Params[0].Value!.At.Kind);
        Assert.Equal(10, after.Params[0].Pieces.Count);
        Assert.Equal([Source.Of(Reg.Rax), Source.Of(Reg.Rbx)], after.Params[1].Pieces);
        Assert.Equal([Source.Of(Reg.Rcx)], after.Params[2].Pieces);
        Assert.Equal(after.Params[0].Value!.At.Index + 80, after.Plan.StackLen);
        // The sixteenth float is on the stack, so it is read exactly; the fifteen before it are in X0-X14.
        var floats = plans["main.takeManyFloats"];
        Assert.Equal(SourceKind.Stack, floats.Params[15].Value!.At.Kind);
        Assert.All(floats.Params.Take(15), f => Assert.Equal("float register", f.NotCaptured));
        Assert.Equal([Source.Of(Reg.Rax)], floats.Params[16].Pieces);
    }

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void SliceOfStrings_EachElementTakesADerefWhileTheBudgetLasts(GoToolchain go)
    {
        var p = Plan(go)["main.takeStrings"];
        var s = p.Params[0].Value!;
        Assert.Equal(new DerefSpec(Source.Of(Reg.Rax), Source.Of(Reg.Rbx), 1024, Scale: 16), p.Plan.Derefs[0]);
        Assert.Equal(7, s.Targets.Count);
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(Source.InDeref(0, 16 * i), s.Targets[i].At);
            Assert.Equal(new DerefSpec(Source.InDeref(0, 16 * i), Source.InDeref(0, 16 * i + 8), 256), p.Plan.Derefs[s.Targets[i].Deref]);
        }
    }

    [Theory]
    [InlineData(GoToolchain.Go119)]
    [InlineData(GoToolchain.Go126)]
    public void MapAndChannelLengthsAtTheirDwarfOffsets(GoToolchain go)
    {
        var p = Plan(go)["main.takeMap"];
        // hmap.count (1.19) and the swiss map's used (1.26) are both the header's first word; hchan starts {qcount, dataqsiz}.
        Assert.Equal(new DerefSpec(Source.Of(Reg.Rax), Source.None, 8), p.Plan.Derefs[p.Params[0].Value!.Deref]);
        Assert.Equal(new DerefSpec(Source.Of(Reg.Rbx), Source.None, 16), p.Plan.Derefs[p.Params[1].Value!.Deref]);
        Assert.Contains(p.Params[0].Type.Elem!.Fields, f => f.Name == (go == GoToolchain.Go119 ? "count" : "used"));
        Assert.Equal(["qcount", "dataqsiz"], p.Params[1].Type.Elem!.Fields.Select(f => f.Name));
    }
}
