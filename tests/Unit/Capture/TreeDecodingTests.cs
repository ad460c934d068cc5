using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Calltape.Capture.Decoding;
using Calltape.Capture.Format;
using Calltape.Capture.Model;
using Calltape.Capture.Redaction;
using MessagePack;
using Xunit;

namespace Calltape.Tests.Unit.Capture;

/// <summary>Composite values decoded from value trees (ValueSpec) over hand-built records: exact, or marked.</summary>
public class TreeDecodingTests
{
    private static readonly TypeDesc I64 = new("int64", TypeKind.Int, 8);
    private static readonly TypeDesc I32 = new("int32", TypeKind.Int, 4);
    private static readonly TypeDesc Str = new("string", TypeKind.String, 16);
    private static readonly TypeDesc Point = new("main.Point", TypeKind.Struct, 16) { Fields = [new("X", 0, I64), new("Y", 8, I32)] };
    private static readonly TypeDesc Strings = new("[]string", TypeKind.Slice, 24) { Elem = Str };

    private static string Json(TypeDesc type, ValueSpec tree, CapturePlan plan, RawEvent ev, IDynamicTypes? types = null)
    {
        var probe = new ProbeSpec(0, "f", 0, 0, 0, 0, AbiKind.GoRegs, plan, [new ParamSpec("v", type, []) { Value = tree }]);
        return ValueDecoder.JsonText(ValueDecoder.Decode(probe, ev, types)[0]);
    }

    private static RawEvent Event(ulong[] regs, byte[]? stack, params DerefData[] derefs) => new(0, 0, 1, 1, regs, stack, derefs);

    private static byte[] Words(params ulong[] words)
    {
        var b = new byte[words.Length * 8];
        for (var i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8 * i), words[i]);
        return b;
    }

    private static DerefData Bytes(byte[] b) => new(b, b.Length, 0);

    [Fact]
    public void StructSplitFieldByFieldAcrossRegisters()
    {
        var plan = new CapturePlan([Reg.Rax, Reg.Rbx], 0, []);
        var tree = new ValueSpec(Source.None) { Parts = [new(Source.Of(Reg.Rax)), new(Source.Of(Reg.Rbx))] };
        // The int32 in RBX keeps only its low 4 bytes, sign-extended.
        Assert.Equal("{\"X\":-3,\"Y\":-1}", Json(Point, tree, plan, Event([unchecked((ulong)-3L), 0xdead_beef_ffff_ffff], null)));
    }

    [Fact]
    public void TaggedOption_NoneIsNull_SomeIsTheValue_FromRegistersOrMemory()
    {
        var u32 = new TypeDesc("u32", TypeKind.Uint, 4);
        var option = new TypeDesc("Option<u32>", TypeKind.Option, 8) { Fields = [new("discriminant", 0, u32), new("Some", 4, u32)], Count = 0 };
        var plan = new CapturePlan([Reg.Rcx, Reg.Rdx], 8, []);
        // A ScalarPair: the discriminant in RDX (only its low 4 bytes count), the value in RCX; None leaves RCX undefined.
        var pair = new ValueSpec(Source.None) { Parts = [new(Source.Of(Reg.Rdx)), new(Source.Of(Reg.Rcx))] };
        Assert.Equal("7", Json(option, pair, plan, Event([7, 0xffff_ffff_0000_0001], null)));
        Assert.Equal("null", Json(option, pair, plan, Event([12345, 0xdead_0000_0000_0000], null)));
        // In memory: the discriminant at byte 0, the value at byte 4.
        Assert.Equal("9", Json(option, new ValueSpec(Source.StackAt(0)), plan, Event([], Words(0x0000_0009_0000_0001))));
        Assert.Equal("null", Json(option, new ValueSpec(Source.StackAt(0)), plan, Event([], Words(0x0000_0009_0000_0000))));
        // A discriminant that is not in the record is never taken for None.
        Assert.Contains("not_captured", Json(option, new ValueSpec(Source.StackAt(8)), plan, Event([], Words(1))));
    }

    // enum Cmd { Quit, Move { x: i64, y: i64 }, Say(String) } as rustc 1.63 lays it out: a u64 tag at 0, fields after it.
    private static readonly TypeDesc Cmd = new("Cmd", TypeKind.Enum, 32)
    {
        Fields =
        [
            new("discriminant", 0, new TypeDesc("u64", TypeKind.Uint, 8)),
            new("Quit", 0, new TypeDesc("Quit", TypeKind.Struct, 32) { Count = 0 }),
            new("Move", 0, new TypeDesc("Move", TypeKind.Struct, 32) { Count = 1, Fields = [new("x", 8, I64), new("y", 16, I64)] }),
            new("Say", 0, new TypeDesc("Say", TypeKind.Struct, 32) { Count = 2, Fields = [new("__0", 8, Str)] }),
        ],
    };

    [Fact]
    public void Enum_DecodesOnlyTheVariantItsDiscriminantNames_AsSerdeWritesIt()
    {
        // Deref 0 copies the 32 bytes; deref 1 is what Say's string would point to, planned whatever the variant.
        var plan = new CapturePlan([Reg.Rdi], 0, [new DerefSpec(Source.Of(Reg.Rdi), Source.None, 32), new DerefSpec(Source.InDeref(0, 8), Source.InDeref(0, 16), 64)]);
        var at = Source.InDeref(0, 0);
        var tree = new ValueSpec(at) { Parts = [new(at), new(at), new(at), new ValueSpec(at) { Parts = [new ValueSpec(Source.InDeref(0, 8)) { Deref = 1 }] }] };
        var probe = new ProbeSpec(3, "fixture::run", 0, 1, 2, 3, AbiKind.SysV, plan, [new ParamSpec("c", Cmd, [Source.Of(Reg.Rdi)]) { Value = tree }]);
        // Through the capture format: the variants' discriminant values (their payload types' Count) survive.
        var back = RoundTrip(probe);
        string Decode(RawEvent ev) => ValueDecoder.JsonText(ValueDecoder.Decode(back, ev, null)[0]);
        var unreadable = new DerefData([], 64, -14);
        Assert.Equal("{\"Say\":\"hi\"}", Decode(Event([0x7000], null, Bytes(Words(2, 0x5000, 2, 0)), Bytes(Encoding.UTF8.GetBytes("hi")))));
        // Move's x sits where Say's pointer would: the failed dereference of it is never looked at.
        Assert.Equal("{\"Move\":{\"x\":5,\"y\":-6}}", Decode(Event([0x7000], null, Bytes(Words(1, 5, unchecked((ulong)-6L), 0)), unreadable)));
        Assert.Equal("\"Quit\"", Decode(Event([0x7000], null, Bytes(Words(0, 0xdead, 0xbeef, 0)), unreadable)));
        // A discriminant no variant has is marked, never read as some variant.
        Assert.Contains("names no variant", Decode(Event([0x7000], null, Bytes(Words(3, 5, 6, 0)), unreadable)));
        Assert.Contains("not_captured", Decode(Event([0x7000], null, unreadable, unreadable)));
    }

    [Fact]
    public void Enum_ScalarPairInRegisters_ZeroSizedPayloadIsNull_TupleVariantsAreArrays()
    {
        // Result<(), i32>: a u32 tag (the low 4 bytes of RAX count), Err's i32 in RDX; Ok(()) holds a zero-sized ().
        var u32 = new TypeDesc("u32", TypeKind.Uint, 4);
        var result = new TypeDesc("Result<(), i32>", TypeKind.Enum, 8)
        {
            Fields =
            [
                new("discriminant", 0, u32),
                new("Ok", 0, new TypeDesc("Ok", TypeKind.Struct, 8) { Count = 0, Fields = [new("__0", 4, new TypeDesc("()", TypeKind.Struct, 0))] }),
                new("Err", 0, new TypeDesc("Err", TypeKind.Struct, 8) { Count = 1, Fields = [new("__0", 4, I32)] }),
            ],
        };
        var plan = new CapturePlan([Reg.Rax, Reg.Rdx], 0, []);
        var tree = new ValueSpec(Source.None)
        {
            Parts = [new(Source.Of(Reg.Rax)), new ValueSpec(Source.None) { Parts = [ValueSpec.Missing("zero-sized")] }, new ValueSpec(Source.None) { Parts = [new(Source.Of(Reg.Rdx))] }],
        };
        Assert.Equal("{\"Ok\":null}", Json(result, tree, plan, Event([0xffff_ffff_0000_0000, 0x1234], null)));
        Assert.Equal("{\"Err\":-7}", Json(result, tree, plan, Event([1, 0xdead_beef_ffff_fff9], null)));

        // A two-field tuple variant is an array of its fields, read from a register image (a cast aggregate).
        var two = new TypeDesc("E", TypeKind.Enum, 8)
        {
            Fields = [new("discriminant", 0, new TypeDesc("u8", TypeKind.Uint, 1)), new("V", 0, new TypeDesc("V", TypeKind.Struct, 8) { Count = 3, Fields = [new("__0", 2, new TypeDesc("u16", TypeKind.Uint, 2)), new("__1", 4, I32)] })],
        };
        Assert.Equal("{\"V\":[513,-2]}", Json(two, new ValueSpec(Source.Of(Reg.Rax)), plan, Event([0xffff_fffe_0201_0003, 0], null)));
    }

    [Fact]
    public void NicheEnum_AnyValueNoOtherVariantHasIsTheDefaultVariant_WhereverItIsListed()
    {
        // enum Slot { Has(u8), Gone, Lost } with its niche in Has's u8 (valid 0..=2): Gone is 3, Lost 4, and Has (field 1,
        // the enum's Count) is every other value. Its payload count -1 never matches a one-byte discriminant, so a reader
        // that predates default variants marks Has's values rather than misreading them.
        var u8 = new TypeDesc("u8", TypeKind.Uint, 1);
        var slot = new TypeDesc("Slot", TypeKind.Enum, 1)
        {
            Count = 1,
            Fields =
            [
                new("discriminant", 0, u8),
                new("Has", 0, new TypeDesc("Has", TypeKind.Struct, 1) { Count = -1, Fields = [new("__0", 0, u8)] }),
                new("Gone", 0, new TypeDesc("Gone", TypeKind.Struct, 1) { Count = 3 }),
                new("Lost", 0, new TypeDesc("Lost", TypeKind.Struct, 1) { Count = 4 }),
            ],
        };
        var plan = new CapturePlan([Reg.Rdi], 0, []);
        var at = new ValueSpec(Source.Of(Reg.Rdi));
        Assert.Equal("{\"Has\":2}", Json(slot, at, plan, Event([0xff02], null)));
        Assert.Equal("\"Gone\"", Json(slot, at, plan, Event([0xff03], null)));
        Assert.Equal("\"Lost\"", Json(slot, at, plan, Event([4], null)));
        Assert.Contains("names no variant", Json(slot with { Count = 0 }, at, plan, Event([2], null)));
    }

    [Fact]
    public void AKindTheReaderDoesNotKnowIsNotCaptured_NeverAWrongValue()
    {
        // What a reader that predates a kind sees: a type it cannot decode, marked.
        var future = new TypeDesc("Future", (TypeKind)200, 8);
        var plan = new CapturePlan([Reg.Rax], 0, []);
        Assert.Contains("not decoded yet", Json(future, new ValueSpec(Source.Of(Reg.Rax)), plan, Event([5], null)));
        Assert.Contains("not_captured", Json(Cmd with { Fields = Cmd.Fields.Take(1).ToArray() }, new ValueSpec(Source.Of(Reg.Rax)), plan, Event([0], null)));
    }

    [Fact]
    public void StructOnTheStackIsReadAtItsOffsets()
    {
        var plan = new CapturePlan([], 24, []);
        var stack = Words(0, 7, 0xffff_ffff_0000_0009);
        Assert.Equal("{\"X\":7,\"Y\":9}", Json(Point, new ValueSpec(Source.StackAt(8)), plan, Event([], stack)));
    }

    [Fact]
    public void SliceOfStrings_ElementsThroughChainedDereferences_RestAtTheDepthLimit()
    {
        // Deref 0: the elements (pointer RAX, len RBX x 16 bytes); deref 1: element 0's bytes, read from deref 0.
        var plan = new CapturePlan([Reg.Rax, Reg.Rbx, Reg.Rcx], 0,
        [
            new DerefSpec(Source.Of(Reg.Rax), Source.Of(Reg.Rbx), 1024, Scale: 16),
            new DerefSpec(Source.InDeref(0, 0), Source.InDeref(0, 8), 64),
        ]);
        var tree = new ValueSpec(Source.None)
        {
            Parts = [new(Source.Of(Reg.Rax)), new(Source.Of(Reg.Rbx)), new(Source.Of(Reg.Rcx))],
            Deref = 0,
            Targets = [new ValueSpec(Source.InDeref(0, 0)) { Deref = 1 }],
        };
        var ev = Event([0xc000, 2, 4], null, Bytes(Words(0xd000, 2, 0xe000, 3)), Bytes(Encoding.UTF8.GetBytes("hi")));
        Assert.Equal("{\"len\":2,\"cap\":4,\"elems\":[\"hi\",{\"not_captured\":\"depth limit\"}]}", Json(Strings, tree, plan, ev));
    }

    [Fact]
    public void SliceLongerThanTheCopy_KeepsWholeElementsAndSaysHowMany()
    {
        var ints = new TypeDesc("[]int64", TypeKind.Slice, 24) { Elem = I64 };
        var plan = new CapturePlan([], 24, [new DerefSpec(Source.StackAt(0), Source.StackAt(8), 20, Scale: 8)]);
        var ev = Event([], Words(0xc000, 5, 5), new DerefData([.. Words(1, 2), 9, 9, 9, 9], 40, 0));
        Assert.Equal("{\"len\":5,\"cap\":5,\"elems\":[1,2],\"elems_not_captured\":\"truncated at 2 of 5 elements\"}",
            Json(ints, new ValueSpec(Source.StackAt(0)) { Deref = 0 }, plan, ev));
    }

    [Fact]
    public void PointerFollowed_NilIsNull_UnreadableIsMarked()
    {
        var ptr = new TypeDesc("*main.Point", TypeKind.Pointer, 8) { Elem = Point };
        var plan = new CapturePlan([Reg.Rdi], 0, [new DerefSpec(Source.Of(Reg.Rdi), Source.None, 16)]);
        var tree = new ValueSpec(Source.Of(Reg.Rdi)) { Deref = 0 };
        Assert.Equal("{\"X\":5,\"Y\":6}", Json(ptr, tree, plan, Event([0xc000], null, Bytes(Words(5, 6)))));
        Assert.Equal("null", Json(ptr, tree, plan, Event([0], null, new DerefData([], 16, -14))));
        Assert.Equal("{\"not_captured\":\"unreadable memory (errno 14)\"}", Json(ptr, tree, plan, Event([0x10], null, new DerefData([], 16, -14))));
        // Not followed (no dereference): the address.
        Assert.Equal("16", Json(ptr, new ValueSpec(Source.Of(Reg.Rdi)), plan, Event([0x10], null, new DerefData([], 16, -14))));
    }

    private sealed class Types(Dictionary<ulong, TypeDesc> byType, Dictionary<ulong, TypeDesc> byItab) : IDynamicTypes
    {
        public TypeDesc? TypeAt(ulong address) => byType.GetValueOrDefault(address);
        public TypeDesc? ItabType(ulong address) => byItab.GetValueOrDefault(address);
    }

    [Fact]
    public void Interfaces_DynamicTypeFromTheBinary_ValueFromTheDataWord()
    {
        var eface = new TypeDesc("interface {}", TypeKind.Interface, 16) { Fields = [new("_type", 0, I64), new("data", 8, I64)] };
        var error = new TypeDesc("error", TypeKind.Interface, 16) { Fields = [new("tab", 0, I64), new("data", 8, I64)] };
        var myErr = new TypeDesc("*main.E", TypeKind.Pointer, 8)
        {
            Elem = new TypeDesc("main.E", TypeKind.Struct, 24) { Fields = [new("Code", 0, I64), new("Msg", 8, Str)] },
        };
        var types = new Types(new() { [0x1000] = I64, [0x2000] = Str }, new() { [0x3000] = myErr });
        var plan = new CapturePlan([Reg.Rax, Reg.Rbx], 0,
        [
            new DerefSpec(Source.Of(Reg.Rbx), Source.None, 64),
            new DerefSpec(Source.InDeref(0, 0), Source.InDeref(0, 8), 64),
            new DerefSpec(Source.InDeref(0, 8), Source.InDeref(0, 16), 64),
        ]);
        var tree = new ValueSpec(Source.None)
        {
            Parts = [new(Source.Of(Reg.Rax)), new(Source.Of(Reg.Rbx))],
            Deref = 0,
            Targets = [new ValueSpec(Source.InDeref(0, 0)) { Deref = 1 }, new ValueSpec(Source.InDeref(0, 8)) { Deref = 2 }],
        };
        var noString = new DerefData([], 0, -14);
        Assert.Equal("{\"type\":\"int64\",\"value\":42}", Json(eface, tree, plan, Event([0x1000, 0xc000], null, Bytes(Words(42, 0)), noString, noString), types));
        var boxed = Event([0x2000, 0xc000], null, Bytes(Words(0xd000, 3)), Bytes(Encoding.UTF8.GetBytes("abc")), noString);
        Assert.Equal("{\"type\":\"string\",\"value\":\"abc\"}", Json(eface, tree, plan, boxed, types));
        // A pointer-shaped dynamic type: the data word is the pointer; its target's string at +8 uses the second guess.
        var e = Event([0x3000, 0xc000], null, Bytes(Words(7, 0xd000, 4)), noString, Bytes(Encoding.UTF8.GetBytes("boom")));
        Assert.Equal("{\"type\":\"*main.E\",\"value\":{\"Code\":7,\"Msg\":\"boom\"}}", Json(error, tree, plan, e, types));
        Assert.Equal("null", Json(error, tree, plan, Event([0, 0], null, noString, noString, noString), types));
        Assert.Equal("{\"type\":null,\"value\":{\"not_captured\":\"dynamic type unknown\"}}", Json(error, tree, plan, e));
    }

    [Fact]
    public void Interfaces_WithAnItabTheRuntimeBuilt_AreNamedFromTheTypeWordTheProbeRead()
    {
        // The itab at 0x7f00aa000fb8 is not in the file (ItabType knows nothing of it); deref 1 holds its type word.
        var shape = new TypeDesc("main.Shape", TypeKind.Interface, 16) { Fields = [new("tab", 0, I64), new("data", 8, I64)] };
        var square = new TypeDesc("main.Square", TypeKind.Struct, 8) { Fields = [new("Side", 0, I64)] };
        var types = new Types(new() { [0x4a1020] = square }, []);
        var plan = new CapturePlan([Reg.Rax, Reg.Rbx], 0,
            [new DerefSpec(Source.Of(Reg.Rbx), Source.None, 64), new DerefSpec(Source.Of(Reg.Rax), Source.None, 8, Offset: 8, OutsideImage: true)]);
        var tree = new ValueSpec(Source.None) { Parts = [new(Source.Of(Reg.Rax)), new(Source.Of(Reg.Rbx))], Deref = 0, TypeDeref = 1 };
        Assert.Equal("{\"type\":\"main.Square\",\"value\":{\"Side\":7}}",
            Json(shape, tree, plan, Event([0x7f00aa000fb8, 0xc000], null, Bytes(Words(7)), Bytes(Words(0x4a1020))), types));
        // Skipped by the probe (0 bytes: the itab was in the image), or a type word naming nothing: unknown, not guessed.
        var unknown = "{\"type\":null,\"value\":{\"not_captured\":\"dynamic type unknown\"}}";
        Assert.Equal(unknown, Json(shape, tree, plan, Event([0x7f00aa000fb8, 0xc000], null, Bytes(Words(7)), new DerefData([], 0, 0)), types));
        Assert.Equal(unknown, Json(shape, tree, plan, Event([0x7f00aa000fb8, 0xc000], null, Bytes(Words(7)), Bytes(Words(0x999))), types));
        // The tree and the flag survive the capture header; the flag is an 11th element only where set.
        var probe = new ProbeSpec(0, "main.f", 0, 0, 0, 0, AbiKind.GoRegs, plan, [new ParamSpec("s", shape, [Source.Of(Reg.Rax), Source.Of(Reg.Rbx)]) { Value = tree }]);
        var back = RoundTrip(probe);
        Assert.Equal(plan.Derefs, back.Plan.Derefs);
        Assert.Equal(tree, back.Params[0].Value);
    }

    [Fact]
    public void Interfaces_InAPositionIndependentBinary_AreNamedAtTheirLinkTimeAddress()
    {
        // The probe is linked at 0x401000 + 4 and fired at 0x7f0000401004 (RIP, which the plan kept): bias 0x7f0000000000.
        var eface = new TypeDesc("interface {}", TypeKind.Interface, 16) { Fields = [new("_type", 0, I64), new("data", 8, I64)] };
        var types = new Types(new() { [0x4c1000] = I64 }, []);
        var plan = new CapturePlan([Reg.Rax, Reg.Rbx, Reg.Rip], 0, [new DerefSpec(Source.Of(Reg.Rbx), Source.None, 8)]);
        var tree = new ValueSpec(Source.None) { Parts = [new(Source.Of(Reg.Rax)), new(Source.Of(Reg.Rbx))], Deref = 0 };
        var probe = new ProbeSpec(0, "f", 0, 0x401000, 4, 0x1004, AbiKind.GoRegs, plan, [new ParamSpec("v", eface, []) { Value = tree }]);
        var ev = Event([0x7f00004c1000, 0xc000, 0x7f0000401004], null, Bytes(Words(42)));
        Assert.Equal(0x7f0000000000UL, probe.LoadBias(ev));
        Assert.Equal("{\"type\":\"int64\",\"value\":42}", ValueDecoder.JsonText(ValueDecoder.Decode(probe, ev, types)[0]));
        // Without RIP in the plan (a capture of a fixed-address binary), addresses are taken as they are.
        var fixedPlan = plan with { Registers = [Reg.Rax, Reg.Rbx] };
        Assert.Equal(0UL, (probe with { Plan = fixedPlan }).LoadBias(Event([0x4c1000, 0xc000], null, Bytes(Words(42)))));
    }

    [Fact]
    public void MapsAndChannelsShowTheirLengths_FloatsOnTheStackAreExact()
    {
        var map = new TypeDesc("map[string]int", TypeKind.Map, 8);
        var chan = new TypeDesc("chan int", TypeKind.Chan, 8);
        var plan = new CapturePlan([Reg.Rax, Reg.Rbx], 16, [new DerefSpec(Source.Of(Reg.Rax), Source.None, 8), new DerefSpec(Source.Of(Reg.Rbx), Source.None, 16)]);
        var ev = Event([0xc000, 0xd000], [.. BitConverter.GetBytes(2.5), .. BitConverter.GetBytes(-0.75f), 0, 0, 0, 0], Bytes(Words(3)), Bytes(Words(1, 4)));
        Assert.Equal("{\"len\":3}", Json(map, new ValueSpec(Source.Of(Reg.Rax)) { Deref = 0 }, plan, ev));
        Assert.Equal("{\"len\":1,\"cap\":4}", Json(chan, new ValueSpec(Source.Of(Reg.Rbx)) { Deref = 1 }, plan, ev));
        Assert.Equal("2.5", Json(new TypeDesc("float64", TypeKind.Float, 8), new ValueSpec(Source.StackAt(0)), plan, ev));
        Assert.Equal("-0.75", Json(new TypeDesc("float32", TypeKind.Float, 4), new ValueSpec(Source.StackAt(8)), plan, ev));
        Assert.Equal("{\"not_captured\":\"float register\"}", Json(new TypeDesc("float64", TypeKind.Float, 8), new ValueSpec(Source.Of(Reg.Rax)), plan, ev));
    }

    [Fact]
    public void HostileHeadersAndRecords_AreMarkedNeverThrown()
    {
        var plan = new CapturePlan([Reg.Rax, Reg.Rbx, Reg.Rcx], 0, [new DerefSpec(Source.Of(Reg.Rax), Source.Of(Reg.Rbx), 16, Scale: 8)]);
        var slice = new ValueSpec(Source.None) { Parts = [new(Source.Of(Reg.Rax)), new(Source.Of(Reg.Rbx)), new(Source.Of(Reg.Rcx))], Deref = 0 };
        var ints = new TypeDesc("[]int64", TypeKind.Slice, 24) { Elem = I64 };
        // A length that is negative as a long, and more elements than were copied.
        Assert.Equal("{\"len\":-1,\"cap\":-1,\"elems\":[1,2],\"elems_not_captured\":\"truncated at 2 of 18446744073709551615 elements\"}",
            Json(ints, slice, plan, Event([0xc000, ulong.MaxValue, ulong.MaxValue], null, Bytes(Words(1, 2)))));
        var bad = new TypeDesc("[]?", TypeKind.Slice, 24) { Elem = new TypeDesc("?", TypeKind.Int, -8) };
        Assert.Contains("element type unknown", Json(bad, slice, plan, Event([0xc000, 2, 2], null, Bytes(Words(1, 2)))));
        var array = new TypeDesc("[?]int64", TypeKind.Array, 8) { Elem = I64, Count = -3 };
        Assert.Contains("not decoded", Json(array, new ValueSpec(Source.StackAt(0)), plan, Event([0, 0, 0], null, Bytes([]))));
        // Sources past the record: a dereference that does not exist, a part that is missing, a negative offset.
        Assert.Equal("{\"X\":{\"not_captured\":\"not in the record\"},\"Y\":{\"not_captured\":\"not in the record\"}}",
            Json(Point, new ValueSpec(Source.InDeref(5, 0)), plan, Event([0, 0, 0], null, Bytes([]))));
        Assert.Equal("{\"X\":{\"not_captured\":\"truncated at 0 bytes\"},\"Y\":{\"not_captured\":\"not in the record\"}}",
            Json(Point, new ValueSpec(Source.None) { Parts = [new(Source.InDeref(0, -8))] }, plan, Event([0, 0, 0], null, Bytes([]))));
    }

    [Fact]
    public void HeaderCodec_RoundTripsTreesAndChainedDerefs_AndKeepsPlainProbesInTheOldShape()
    {
        var plan = new CapturePlan([Reg.Rax, Reg.Rbx, Reg.Rcx], 0,
        [
            new DerefSpec(Source.Of(Reg.Rax), Source.Of(Reg.Rbx), 1024, Scale: 16),
            new DerefSpec(Source.InDeref(0, 16), Source.InDeref(0, 24), 64),
        ]);
        var tree = new ValueSpec(Source.None)
        {
            Parts = [new(Source.Of(Reg.Rax)), new(Source.Of(Reg.Rbx)), new(Source.Of(Reg.Rcx))],
            Deref = 0,
            Targets = [new ValueSpec(Source.InDeref(0, 0)), new ValueSpec(Source.InDeref(0, 16)) { Deref = 1 }],
        };
        var probe = new ProbeSpec(3, "main.f", 0, 1, 2, 3, AbiKind.GoRegs, plan,
            [new ParamSpec("s", Strings, [Source.Of(Reg.Rax), Source.Of(Reg.Rbx), Source.Of(Reg.Rcx)]) { Value = tree }]);
        var back = RoundTrip(probe);
        Assert.Equal(plan.Derefs, back.Plan.Derefs);
        Assert.Equal(tree, back.Params[0].Value);

        // A probe without trees or chains writes params of 5 elements and derefs of 7, as before both existed.
        var plain = Format.SampleCaptures.Record();
        var bytes = Encode(plain);
        Assert.Equal(bytes, Encode(RoundTrip(plain)));
        Assert.Null(RoundTrip(plain).Params[1].Value);
    }

    [Fact]
    public void Redaction_DropsATreesDerefs_AndRenumbersChainedSources()
    {
        var plan = new CapturePlan([Reg.Rax, Reg.Rbx, Reg.Rcx], 0,
        [
            new DerefSpec(Source.Of(Reg.Rax), Source.None, 24),
            new DerefSpec(Source.InDeref(0, 8), Source.InDeref(0, 16), 64),
            new DerefSpec(Source.Of(Reg.Rbx), Source.None, 16),
            new DerefSpec(Source.InDeref(2, 0), Source.InDeref(2, 8), 64),
        ]);
        var ptr = new TypeDesc("*main.E", TypeKind.Pointer, 8) { Elem = new("main.E", TypeKind.Struct, 24) { Fields = [new("Code", 0, I64), new("Msg", 8, Str)] } };
        var tree = new ValueSpec(Source.Of(Reg.Rax)) { Deref = 0, Targets = [new ValueSpec(Source.InDeref(0, 0)) { Parts = [new(Source.InDeref(0, 0)), new(Source.InDeref(0, 8)) { Deref = 1 }] }] };
        var keep = new ValueSpec(Source.Of(Reg.Rbx)) { Deref = 2, Targets = [new ValueSpec(Source.InDeref(2, 0)) { Deref = 3 }] };
        var probe = new ProbeSpec(0, "f", 0, 0, 0, 0, AbiKind.GoRegs, plan,
        [
            new ParamSpec("secret", ptr, [Source.Of(Reg.Rax)]) { Value = tree },
            new ParamSpec("kept", ptr, [Source.Of(Reg.Rbx)]) { Value = keep },
        ]);
        var (redactions, _) = Redactor.Plan([probe], RedactRule.ParseAll(["secret"]));
        var r = redactions.Single();
        Assert.Equal([2, 3], r.KeptDerefs);
        Assert.Equal([new DerefSpec(Source.Of(Reg.Rbx), Source.None, 16), new DerefSpec(Source.InDeref(0, 0), Source.InDeref(0, 8), 64)], r.Probe.Plan.Derefs);
        Assert.Equal(new ValueSpec(Source.Of(Reg.Rbx)) { Deref = 0, Targets = [new ValueSpec(Source.InDeref(0, 0)) { Deref = 1 }] }, r.Probe.Params[1].Value);
        Assert.Null(r.Probe.Params[0].Value);
    }

    private static byte[] Encode(ProbeSpec p)
    {
        var buf = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buf);
        HeaderCodec.Write(ref w, Format.SampleCaptures.Header(p));
        w.Flush();
        return buf.WrittenSpan.ToArray();
    }

    private static ProbeSpec RoundTrip(ProbeSpec p)
    {
        var r = new MessagePackReader(Encode(p));
        return HeaderCodec.Read(ref r).Probes.Single();
    }
}
