using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Symbols.Planning;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>rustc 1.63's passing of aggregates and tagged enums (Planning/RustAbi.cs), on hand-built types.</summary>
public class RustAbiTests
{
    private static readonly TypeDesc U8 = new("u8", TypeKind.Uint, 1);
    private static readonly TypeDesc U32 = new("u32", TypeKind.Uint, 4);
    private static readonly TypeDesc I32 = new("i32", TypeKind.Int, 4);
    private static readonly TypeDesc U64 = new("u64", TypeKind.Uint, 8);
    private static readonly TypeDesc I128 = new("i128", TypeKind.Int, 16);

    private static TypeDesc Variant(string name, long discr, int size, params FieldDesc[] fields) =>
        new(name, TypeKind.Struct, size) { Count = discr, Fields = fields };

    private static TypeDesc Result(string name, int size, TypeDesc tag, TypeDesc ok, TypeDesc err) => new(name, TypeKind.Enum, size)
    {
        Fields = [new("discriminant", 0, tag), new("Ok", 0, ok), new("Err", 0, err)],
    };

    private static string Where(RustArg a) => a.NotCaptured ?? string.Join(",", a.Location!.IntRegs).ToLowerInvariant() + (a.Indirect ? " (address)" : "");

    [Fact]
    public void TaggedEnums_ScalarPairInTwoRegisters_SmallAggregateInOne_LargerByAddress()
    {
        // Result<(), i32>: u32 tag, Err's i32 at 4 (Ok's () is zero-sized): a ScalarPair.
        var unit = Result("Result<(), i32>", 8, U32, Variant("Ok", 0, 8, new FieldDesc("__0", 4, new TypeDesc("()", TypeKind.Struct, 0))),
            Variant("Err", 1, 8, new FieldDesc("__0", 4, I32)));
        // Result<u8, u32>: u8 tag, Ok's u8 at 1, Err's u32 at 4: different primitives, an 8-byte aggregate cast to one integer.
        var small = Result("Result<u8, u32>", 8, U8, Variant("Ok", 0, 8, new FieldDesc("__0", 1, U8)), Variant("Err", 1, 8, new FieldDesc("__0", 4, U32)));
        // Result<u32, u64>: 16 bytes, an aggregate over one pointer: by address.
        var wide = Result("Result<u32, u64>", 16, U32, Variant("Ok", 0, 16, new FieldDesc("__0", 4, U32)), Variant("Err", 1, 16, new FieldDesc("__0", 8, U64)));
        var args = RustAbi.Assign([unit, small, wide, U64], null);
        Assert.Equal(["rdi,rsi", "rdx", "rcx (address)", "r8"], args.Select(Where));
        Assert.Equal([Reg.Rax, Reg.Rdx], RustAbi.Result(unit).Registers);
        Assert.True(RustAbi.ReturnsInMemory(wide));
        Assert.False(RustAbi.ReturnsInMemory(small));
    }

    [Fact]
    public void NicheEnums_TakeTheirDataVariantsAbi_AndAnyOtherShapeIsMarkedWithWhatFollows()
    {
        var none = new TypeDesc("None", TypeKind.Struct, 8) { Count = 0 };
        // Option<(NonZeroU32, u32)>: the niche (u32 at 0) inside a ScalarPair payload: two registers, one per u32.
        var pair = new TypeDesc("(NonZeroU32, u32)", TypeKind.Struct, 8) { Fields = [new("__0", 0, U32), new("__1", 4, U32)] };
        var option = new TypeDesc("Option<(NonZeroU32, u32)>", TypeKind.Option, 8) { Fields = [new("discriminant", 0, U32), new("Some", 0, pair)] };
        // E { A, B(Box<u64>, u64) }: a 16-byte ScalarPair too; E { A(u64), B(Box<u64>) } holds data in two variants: no
        // niche layout rustc 1.63 makes, so not guessed; nor is a nested enum (of unknown kind) in the payload.
        var ptr = new TypeDesc("*const u64", TypeKind.Pointer, 8);
        var e = new TypeDesc("E", TypeKind.Enum, 16)
        {
            Count = 2,
            Fields = [new("discriminant", 0, U64), new("A", 0, none with { Size = 16 }), new("B", 0, new TypeDesc("B", TypeKind.Struct, 16) { Count = -1, Fields = [new("__0", 0, ptr), new("__1", 8, U64)] })],
        };
        Assert.Equal(["rdi,rsi", "rdx,rcx", "r8"], RustAbi.Assign([option, e, U64], null).Select(Where));
        Assert.Equal([Reg.Rax, Reg.Rdx], RustAbi.Result(e).Registers);
        var two = e with { Fields = [e.Fields[0], new("A", 0, new TypeDesc("A", TypeKind.Struct, 16) { Count = 0, Fields = [new("__0", 8, U64)] }), e.Fields[2]] };
        var nested = option with { Fields = [option.Fields[0], new("Some", 0, new TypeDesc("Option<Kind>", TypeKind.Unknown, 8))] };
        foreach (var marked in new[] { two, nested })
        {
            var args = RustAbi.Assign([marked, U64], null);
            Assert.Contains("not modeled", args[0].NotCaptured);
            Assert.StartsWith("follows ", args[1].NotCaptured);
        }
    }

    [Fact]
    public void SixteenByteStructsAreByAddress_ButAnI128OrANewtypeOfOneTakesTwoRegisters()
    {
        var three = new TypeDesc("T3", TypeKind.Struct, 16) { Fields = [new("a", 8, U32), new("b", 0, U64), new("c", 12, U8)] };
        var newtype = new TypeDesc("Wrap", TypeKind.Struct, 16) { Fields = [new("__0", 0, I128)] };
        Assert.Equal(["rdi (address)", "rsi,rdx", "rcx,r8"], RustAbi.Assign([three, newtype, I128], null).Select(Where));
        // An enum with a 16-byte scalar payload is a pair of another shape: marked, and so is what follows it.
        var e = Result("Result<i128, u8>", 32, U64, Variant("Ok", 0, 32, new FieldDesc("__0", 16, I128)), Variant("Err", 1, 32, new FieldDesc("__0", 1, U8)));
        var marked = RustAbi.Assign([e, U64], null);
        Assert.Contains("not modeled", marked[0].NotCaptured);
        Assert.StartsWith("follows ", marked[1].NotCaptured);
    }
}
