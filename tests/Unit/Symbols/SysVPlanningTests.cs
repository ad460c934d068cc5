using Calltape.Capture.Model;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>SysV argument assignment from DWARF (psABI §3.2.3) on tests/fixtures/c/abi.c, by three compilers.</summary>
public class SysVPlanningTests
{
    public static TheoryData<string, string> Builds() => new()
    {
        { "gcc", "-O0 -g" },
        { "gcc", "-O2 -g" },
        { "clang-14", "-O0 -g" },
    };

    private static Dictionary<string, ParamSpec> Params(string path, string function, out ProbeSpec probe)
    {
        var elf = ElfImage.Open(path);
        var fn = elf.FindFunction(function)!;
        probe = ProbePlanner.Plan(0, 0, elf, fn, DwarfReader.Load(elf)!.FindFunction(fn.Name, fn.Address), new PlanOptions(64));
        Assert.Equal(AbiKind.SysV, probe.Abi);
        return probe.Params.ToDictionary(p => p.Name);
    }

    [Theory]
    [MemberData(nameof(Builds))]
    public void RegisterAccountingAroundStructsAndHiddenResultPointers(string compiler, string flags)
    {
        var path = CFixtures.Build("abi", flags, compiler);

        // Two INTEGER eightbytes do not fit in the one register left: the struct goes to memory, f still gets R9.
        var ex = Params(path, "abi_regs_exhausted", out _);
        Assert.Equal([Source.Of(Reg.R9)], ex["f"].Pieces);
        // The struct itself is read from the stack window (a value tree over memory): its two longs at the first slots.
        Assert.Null(ex["p"].NotCaptured);
        Assert.Equal(new ValueSpec(Source.StackAt(8)), ex["p"].Value);
        Assert.Equal([Source.StackAt(8), Source.StackAt(16)], ex["p"].Pieces);

        // struct pair takes RDI+RSI, struct small RDX.
        var after = Params(path, "abi_after_structs", out _);
        Assert.Equal([Source.Of(Reg.Rcx)], after["tag"].Pieces);
        Assert.Equal([Source.Of(Reg.R8)], after["z"].Pieces);

        // {double, long}: XMM0 and RDI; the double f takes XMM1.
        var mixed = Params(path, "abi_mixed", out _);
        Assert.Equal([Source.Of(Reg.Rsi)], mixed["name"].Pieces);
        Assert.Equal([Source.Of(Reg.Rdx)], mixed["k"].Pieces);
        Assert.Equal("float register", mixed["f"].NotCaptured);

        // A 24-byte struct is MEMORY: it takes no register.
        Assert.Equal([Source.Of(Reg.Rdi)], Params(path, "abi_big_first", out _)["name"].Pieces);

        // A packed struct with an unaligned field is MEMORY even though it is 9 bytes.
        var packed = Params(path, "abi_packed", out _);
        Assert.Equal([Source.Of(Reg.Rdi)], packed["k"].Pieces);
        Assert.Equal([Source.Of(Reg.Rsi)], packed["name"].Pieces);

        // A MEMORY-class result takes RDI for its address.
        var ret = Params(path, "abi_returns_big", out _);
        Assert.Equal([Source.Of(Reg.Rsi)], ret["k"].Pieces);
        Assert.Equal([Source.Of(Reg.Rdx)], ret["name"].Pieces);

        // The seventh INTEGER argument onwards is on the stack, one eightbyte each above the return address.
        var many = Params(path, "abi_many", out var manyProbe);
        Assert.Equal([Source.StackAt(8)], many["g"].Pieces);
        Assert.Equal([Source.StackAt(16)], many["h"].Pieces);
        Assert.Equal([Source.StackAt(24)], many["i"].Pieces);
        Assert.Equal([new DerefSpec(Source.StackAt(16), Source.None, 66, CString: true)], manyProbe.Plan.Derefs);
    }

    [Theory]
    [MemberData(nameof(Builds))]
    public void CharPointersAreCStringsAndByteBuffersStayPointers(string compiler, string flags)
    {
        var path = CFixtures.Build("abi", flags, compiler);
        var strs = Params(path, "abi_strs", out var probe);
        Assert.Equal(["const char*", "char*", "const char*"], new[] { "a", "b", "none" }.Select(n => strs[n].Type.Name));
        Assert.All(new[] { "a", "b", "none" }, n => Assert.Equal(TypeKind.String, strs[n].Type.Kind));
        Assert.Equal([0, 1, 2], new[] { "a", "b", "none" }.Select(n => strs[n].Deref));
        Assert.Equal(
            [new DerefSpec(Source.Of(Reg.Rdi), Source.None, 66, CString: true),
             new DerefSpec(Source.Of(Reg.Rsi), Source.None, 66, CString: true),
             new DerefSpec(Source.Of(Reg.Rdx), Source.None, 66, CString: true)],
            probe.Plan.Derefs);

        var ptrs = Params(path, "abi_ptrs", out var ptrProbe);
        Assert.All(ptrs.Values, p => Assert.Equal(TypeKind.Pointer, p.Type.Kind)); // void*, int*, unsigned char*
        Assert.Empty(ptrProbe.Plan.Derefs);
    }

    /// <summary>Bit-fields are placed the same from DWARF 5's DW_AT_data_bit_offset and DWARF 4's DW_AT_bit_offset
    /// (counted from the storage unit's top bit), and the struct holding them stays in registers (INTEGER class).</summary>
    [Theory]
    [InlineData("gcc", "-O0 -gdwarf-4")]
    [InlineData("gcc", "-O0 -gdwarf-5")]
    [InlineData("clang-14", "-O0 -gdwarf-4")]
    [InlineData("clang-14", "-O0 -gdwarf-5")]
    public void BitFieldsArePlacedByBitAndPassedInRegisters(string compiler, string flags)
    {
        var p = Params(CFixtures.Build("abi", flags, compiler), "abi_bitfields", out _);
        var fields = p["f"].Type.Fields.ToDictionary(f => f.Name, f => (f.Offset, f.BitOffset, f.BitSize));
        // struct flags { unsigned lo : 3; unsigned hi : 5; int n; signed s : 4; } (tests/fixtures/c/abi.c)
        Assert.Equal((0, 0, 3), fields["lo"]);
        Assert.Equal((0, 3, 5), fields["hi"]);
        Assert.Equal((4, -1, 0), fields["n"]);
        Assert.Equal((8, 0, 4), fields["s"]);
        Assert.Equal([Source.Of(Reg.Rdi), Source.Of(Reg.Rsi)], p["f"].Pieces);
        Assert.Equal([Source.Of(Reg.Rdx)], p["k"].Pieces);
    }
}
