using System.Buffers.Binary;
using System.Text;
using Calltape.Capture.Decoding;
using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>
/// Niche-encoded Rust enums (Planning/RustAbi.Niche.cs) on the DWARF rustc 1.63 writes for tests/fixtures/rust/niche.rs:
/// where each is passed and returned, the argument after it, and the values decoded from records built by hand for those
/// plans (what a None, a Some and each variant would leave in the registers and copied memory).
/// </summary>
public class RustNicheTests
{
    private static ProbeSpec Plan(string binary, string demangled, bool result = false)
    {
        var elf = ElfImage.Open(binary);
        var fn = Assert.Single(new DemangleIndex(elf.Functions).Exact(demangled));
        var info = DwarfReader.Load(elf)!.FindFunction(fn.Name, fn.Address);
        Assert.NotNull(info);
        var entry = ProbePlanner.Plan(0, 0, elf, fn, info, new PlanOptions(64));
        return result ? Assert.Single(ProbePlanner.PlanExits(1, entry, elf, fn, info, new PlanOptions(64), null).Exits) : entry;
    }

    private static readonly byte[]? Unread = null; // a dereference that failed (a null pointer)

    private static string Pieces(ProbeSpec p, string param) => string.Join(",", p.Params.Single(x => x.Name == param).Pieces);

    /// <summary>A record of the plan's registers (the rest 0) and dereferences (null: unreadable, errno 14).</summary>
    private static RawEvent Event(ProbeSpec p, Dictionary<Reg, ulong> regs, params byte[]?[] derefs) =>
        new(p.Id, 0, 1, 1, p.Plan.Registers.Select(r => regs.GetValueOrDefault(r)).ToArray(), null,
            Enumerable.Range(0, p.Plan.Derefs.Count).Select(k => k < derefs.Length && derefs[k] is { } d ? new DerefData(d, d.Length, 0) : new DerefData([], 0, -14)).ToArray());

    private static string Json(ProbeSpec p, RawEvent ev, string param) =>
        ValueDecoder.JsonText(ValueDecoder.DecodeParam(p, p.Params.Single(x => x.Name == param), ev));

    /// <summary>The 24 bytes of a String or Vec with its data pointer and length where the type's fields say.</summary>
    private static byte[] Header(TypeDesc t, ulong ptr, ulong len)
    {
        var b = new byte[24];
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(t.Fields.Single(f => f.Name == "ptr").Offset), ptr);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(t.Fields.Single(f => f.Name == "len").Offset), len);
        return b;
    }

    [Theory]
    [InlineData(RustOpt.Debug)]
    [InlineData(RustOpt.Release)]
    public void NicheOptions_ArePassedByTheirPayloadsAbi_AndNothingAfterThemShifts(RustOpt opt)
    {
        var bin = NativeFixtures.BuildRust("niche", opt);

        // Option<String>: 24 bytes by address in RDI, after in RSI; an Option whose discriminant is the data pointer.
        var text = Plan(bin, "niche::text");
        Assert.Equal("rdi", Pieces(text, "o"));
        Assert.Equal("rsi", Pieces(text, "after"));
        var o = text.Params[0].Type;
        Assert.Equal(TypeKind.Option, o.Kind);
        Assert.Equal(0, o.Count);
        var s = o.Fields[1].Type;
        Assert.Equal(TypeKind.String, s.Kind);
        Assert.Equal(o.Fields[0].Offset, s.Fields.Single(f => f.Name == "ptr").Offset);
        Assert.Equal(new DerefSpec(Source.Of(Reg.Rdi), Source.None, 24), text.Plan.Derefs[0]);
        Assert.Equal("\"hi\"", Json(text, Event(text, new() { [Reg.Rdi] = 0x1000 }, Header(s, 0x5000, 2), "hi!"u8.ToArray()), "o"));
        Assert.Equal("null", Json(text, Event(text, new() { [Reg.Rdi] = 0x1000 }, Header(s, 0, 99), Unread), "o"));

        // Option<Box<i64>>: one pointer in RDI, followed to the i64; after (a u8) in RSI.
        var boxed = Plan(bin, "niche::boxed");
        Assert.Equal("rdi", Pieces(boxed, "b"));
        Assert.Equal("rsi", Pieces(boxed, "after"));
        Assert.Equal(new DerefSpec(Source.Of(Reg.Rdi), Source.None, 8), Assert.Single(boxed.Plan.Derefs));
        Assert.Equal("-77", Json(boxed, Event(boxed, new() { [Reg.Rdi] = 0x2000 }, BitConverter.GetBytes(-77L)), "b"));
        Assert.Equal("null", Json(boxed, Event(boxed, new() { [Reg.Rdi] = 0 }, Unread), "b"));

        // Option<Vec<i64>>: by address in RDI; Some is the slice of its elements.
        var items = Plan(bin, "niche::items");
        Assert.Equal("rdi", Pieces(items, "v"));
        Assert.Equal("rsi", Pieces(items, "after"));
        var vec = items.Params[0].Type.Fields[1].Type;
        Assert.Equal(TypeKind.Slice, vec.Kind);
        var elems = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(elems, -3);
        BinaryPrimitives.WriteInt64LittleEndian(elems.AsSpan(8), -2);
        Assert.Equal("[-3,-2]", Json(items, Event(items, new() { [Reg.Rdi] = 0x1000 }, Header(vec, 0x7000, 2), elems), "v"));
        Assert.Equal("null", Json(items, Event(items, new() { [Reg.Rdi] = 0x1000 }, new byte[24], Unread), "v"));

        // Option<&str>: a ScalarPair, the data pointer (0 for None) in RDI and the length in RSI; after in RDX.
        var word = Plan(bin, "niche::word");
        Assert.Equal("rdi,rsi", Pieces(word, "s"));
        Assert.Equal("rdx", Pieces(word, "after"));
        Assert.Equal(new DerefSpec(Source.Of(Reg.Rdi), Source.Of(Reg.Rsi), 64), Assert.Single(word.Plan.Derefs));
        Assert.Equal("\"alpha\"", Json(word, Event(word, new() { [Reg.Rdi] = 0x3000, [Reg.Rsi] = 5 }, "alpha"u8.ToArray()), "s"));
        Assert.Equal("\"\"", Json(word, Event(word, new() { [Reg.Rdi] = 0x3000, [Reg.Rsi] = 0 }, []), "s"));
        Assert.Equal("null", Json(word, Event(word, new() { [Reg.Rdi] = 0, [Reg.Rsi] = 0xdead }, Unread), "s"));
        Assert.Equal("101", Json(word, Event(word, new() { [Reg.Rdx] = 101 }), "after"));

        // Option<&[i64]>: the same pair, its elements by one dereference of 8-byte elements.
        var nums = Plan(bin, "niche::nums");
        Assert.Equal("rdi,rsi", Pieces(nums, "xs"));
        Assert.Equal("rdx", Pieces(nums, "after"));
        Assert.Equal(8, Assert.Single(nums.Plan.Derefs).Scale);
        Assert.Equal("[-3,-2]", Json(nums, Event(nums, new() { [Reg.Rdi] = 0x3000, [Reg.Rsi] = 2 }, elems), "xs"));
        Assert.Equal("null", Json(nums, Event(nums, new() { [Reg.Rdi] = 0, [Reg.Rsi] = 7 }, Unread), "xs"));
    }

    [Theory]
    [InlineData(RustOpt.Debug)]
    [InlineData(RustOpt.Release)]
    public void NicheUserEnums_FallBackToTheirDefaultVariant_ByAddressOrInOneRegister(RustOpt opt)
    {
        var bin = NativeFixtures.BuildRust("niche", opt);

        // Shape { Empty, Named(String) }: 24 bytes by address; Empty at niche value 0, Named the default variant.
        var shape = Plan(bin, "niche::shape");
        Assert.Equal("rdi", Pieces(shape, "s"));
        Assert.Equal("rsi", Pieces(shape, "after"));
        var t = shape.Params[0].Type;
        Assert.Equal(TypeKind.Enum, t.Kind);
        Assert.Equal(["discriminant", "Empty", "Named"], t.Fields.Select(f => f.Name));
        Assert.Equal(2, t.Count); // the default variant's field index
        Assert.Equal(-1, t.Fields[2].Type.Count);
        var named = t.Fields[2].Type.Fields[0].Type;
        Assert.Equal("{\"Named\":\"n-0\"}", Json(shape, Event(shape, new() { [Reg.Rdi] = 0x1000 }, Header(named, 0x9000, 3), "n-0"u8.ToArray()), "s"));
        Assert.Equal("\"Empty\"", Json(shape, Event(shape, new() { [Reg.Rdi] = 0x1000 }, new byte[24], Unread), "s"));

        // Result<(), String>: niche-encoded too, Ok(()) at a null data pointer and Err the default variant; by address.
        var status = Plan(bin, "niche::status");
        Assert.Equal("rdi", Pieces(status, "r"));
        Assert.Equal("rsi", Pieces(status, "after"));
        var err = status.Params[0].Type.Fields.Single(f => f.Name == "Err").Type.Fields[0].Type;
        Assert.Equal("{\"Err\":\"e3\"}", Json(status, Event(status, new() { [Reg.Rdi] = 0x1000 }, Header(err, 0x9000, 2), "e3"u8.ToArray()), "r"));
        Assert.Equal("{\"Ok\":null}", Json(status, Event(status, new() { [Reg.Rdi] = 0x1000 }, new byte[24], Unread), "r"));

        // Letter { Nope, Char(char) } in EDI (Nope is 0x110000, past every char); Slot { Gone, Lost, Has(Kind) } in ESI
        // (Gone 3 and Lost 4, past Kind's 0..2); after in RDX.
        var small = Plan(bin, "niche::small");
        Assert.Equal("rdi", Pieces(small, "l"));
        Assert.Equal("rsi", Pieces(small, "s"));
        Assert.Equal("rdx", Pieces(small, "after"));
        Assert.Equal("\"Nope\"", Json(small, Event(small, new() { [Reg.Rdi] = 0xffff_ffff_0011_0000 }), "l"));
        Assert.Equal("{\"Char\":8364}", Json(small, Event(small, new() { [Reg.Rdi] = 0xffff_ffff_0000_20ac }), "l"));
        Assert.Equal("\"Gone\"", Json(small, Event(small, new() { [Reg.Rsi] = 0xff03 }), "s"));
        Assert.Equal("\"Lost\"", Json(small, Event(small, new() { [Reg.Rsi] = 4 }), "s"));
        Assert.Equal("{\"Has\":2}", Json(small, Event(small, new() { [Reg.Rsi] = 0x7702 }), "s"));

        // Option<bool> in DIL (None is 2); Tri { Off, Unknown, On(u32, char) } a ScalarPair whose niche is the char at
        // offset 4, in the second register: On's u32 in ESI, the char in EDX; after in RCX.
        var flags = Plan(bin, "niche::flags");
        Assert.Equal("rdi", Pieces(flags, "f"));
        Assert.Equal("rsi,rdx", Pieces(flags, "t"));
        Assert.Equal("rcx", Pieces(flags, "after"));
        Assert.Equal("null", Json(flags, Event(flags, new() { [Reg.Rdi] = 0xab02 }), "f"));
        Assert.Equal("false", Json(flags, Event(flags, new() { [Reg.Rdi] = 0xab00 }), "f"));
        Assert.Equal("\"Unknown\"", Json(flags, Event(flags, new() { [Reg.Rsi] = 0xdead_beef, [Reg.Rdx] = 0xffff_ffff_0011_0001 }), "t"));
        Assert.Equal("{\"On\":[7,122]}", Json(flags, Event(flags, new() { [Reg.Rsi] = 0xffff_ffff_0000_0007, [Reg.Rdx] = 122 }), "t"));
        Assert.Equal("-9", Json(flags, Event(flags, new() { [Reg.Rcx] = unchecked((ulong)-9L) }), "after"));
    }

    [Theory]
    [InlineData(RustOpt.Debug)]
    [InlineData(RustOpt.Release)]
    public void NicheResults_ComeBackInRaxAndRdx_OrThroughTheCallersBuffer(RustOpt opt)
    {
        var bin = NativeFixtures.BuildRust("niche", opt);

        // Option<String>: the caller's buffer, whose address is in RAX at the return; the argument i moved to RSI.
        Assert.Equal("rsi", Pieces(Plan(bin, "niche::make_text"), "i"));
        var text = Plan(bin, "niche::make_text", result: true);
        Assert.Equal(new DerefSpec(Source.Of(Reg.Rax), Source.None, 24), text.Plan.Derefs[0]);
        var s = text.Params[0].Type.Fields[1].Type;
        Assert.Equal("\"t6\"", Json(text, Event(text, new() { [Reg.Rax] = 0x1000 }, Header(s, 0x5000, 2), "t6"u8.ToArray()), "r0"));
        Assert.Equal("null", Json(text, Event(text, new() { [Reg.Rax] = 0x1000 }, new byte[24], Unread), "r0"));

        // Option<Vec<i64>>: the caller's buffer too; Some is the slice of its elements.
        var items = Plan(bin, "niche::make_items", result: true);
        var vec = items.Params[0].Type.Fields[1].Type;
        var elems = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(elems, 1_000_000_005);
        Assert.Equal("[1000000005]", Json(items, Event(items, new() { [Reg.Rax] = 0x1000 }, Header(vec, 0x6000, 1), elems), "r0"));
        Assert.Equal("null", Json(items, Event(items, new() { [Reg.Rax] = 0x1000 }, new byte[24], Unread), "r0"));

        // Option<Box<i64>>: RAX, followed.
        var boxed = Plan(bin, "niche::make_box", result: true);
        Assert.Equal("rax", Pieces(boxed, "r0"));
        Assert.Equal("-5", Json(boxed, Event(boxed, new() { [Reg.Rax] = 0x2000 }, BitConverter.GetBytes(-5L)), "r0"));
        Assert.Equal("null", Json(boxed, Event(boxed, new() { [Reg.Rax] = 0 }, Unread), "r0"));

        // Option<&str>: RAX (pointer, 0 for None) and RDX (length).
        var word = Plan(bin, "niche::make_word", result: true);
        Assert.Equal("rax,rdx", Pieces(word, "r0"));
        Assert.Equal("\"zero\"", Json(word, Event(word, new() { [Reg.Rax] = 0x3000, [Reg.Rdx] = 4 }, Encoding.UTF8.GetBytes("zero")), "r0"));
        Assert.Equal("null", Json(word, Event(word, new() { [Reg.Rax] = 0, [Reg.Rdx] = 2 }, Unread), "r0"));

        // Tri: EAX (On's u32) and EDX (the char, the niche).
        var tri = Plan(bin, "niche::make_tri", result: true);
        Assert.Equal("rax,rdx", Pieces(tri, "r0"));
        Assert.Equal("\"Off\"", Json(tri, Event(tri, new() { [Reg.Rax] = 5, [Reg.Rdx] = 0x11_0000 }), "r0"));
        Assert.Equal("{\"On\":[3000000021,113]}", Json(tri, Event(tri, new() { [Reg.Rax] = 3_000_000_021, [Reg.Rdx] = 113 }), "r0"));

        // Shape: the caller's buffer.
        var shape = Plan(bin, "niche::make_shape", result: true);
        Assert.Equal("\"Empty\"", Json(shape, Event(shape, new() { [Reg.Rax] = 0x1000 }, new byte[24], Unread), "r0"));
    }
}
