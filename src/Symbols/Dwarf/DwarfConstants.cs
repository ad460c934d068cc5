namespace Calltape.Symbols.Dwarf;

/// <summary>DWARF tag codes Calltape reads (DWARF 5 §7.5.3, table 7.3).</summary>
internal static class DwTag
{
    public const ushort ArrayType = 0x01, ClassType = 0x02, EnumerationType = 0x04, FormalParameter = 0x05,
        Member = 0x0d, PointerType = 0x0f, ReferenceType = 0x10, CompileUnit = 0x11, StructureType = 0x13,
        SubroutineType = 0x15, Typedef = 0x16, UnionType = 0x17, UnspecifiedParameters = 0x18,
        Subrange = 0x21, BaseType = 0x24, ConstType = 0x26, Subprogram = 0x2e, VolatileType = 0x35,
        RestrictType = 0x37, PartialUnit = 0x3c, RvalueReferenceType = 0x42, AtomicType = 0x47,
        SkeletonUnit = 0x4a, Namespace = 0x39;

    /// <summary>A function's body inlined into another (DWARF 5 §3.3.8.2), and the block scopes that may hold one.</summary>
    public const ushort InlinedSubroutine = 0x1d, LexicalBlock = 0x0b;
}

/// <summary>DWARF attribute codes Calltape reads (DWARF 5 §7.5.4, table 7.5; Go's extensions from cmd/internal/dwarf).</summary>
internal static class DwAt
{
    public const ushort Sibling = 0x01, Location = 0x02, Name = 0x03, FrameBase = 0x40, LoclistsBase = 0x8c, ByteSize = 0x0b, LowPc = 0x11, Language = 0x13,
        Producer = 0x25, UpperBound = 0x2f, AbstractOrigin = 0x31, LowerBound = 0x22, Count = 0x37, DataMemberLocation = 0x38,
        Declaration = 0x3c, Encoding = 0x3e, Specification = 0x47, Type = 0x49, VariableParameter = 0x4b,
        LinkageName = 0x6e, StrOffsetsBase = 0x72, AddrBase = 0x73, MipsLinkageName = 0x2007;

    /// <summary>Code ranges (DWARF 5 §2.17) and an inlined call's site (§3.3.8.2); DW_AT_stmt_list names the unit's line table.</summary>
    public const ushort StmtList = 0x10, HighPc = 0x12, Ranges = 0x55, CallFile = 0x58, CallLine = 0x59, RnglistsBase = 0x74;

    /// <summary>DW_AT_go_kind: the reflect.Kind of a Go type (cmd/internal/dwarf/dwarf.go).</summary>
    public const ushort GoKind = 0x2900;
}

/// <summary>DWARF attribute forms (DWARF 5 §7.5.6, table 7.6, plus the GNU extensions binutils reads).</summary>
internal static class DwForm
{
    public const ushort Addr = 0x01, Block2 = 0x03, Block4 = 0x04, Data2 = 0x05, Data4 = 0x06, Data8 = 0x07,
        String = 0x08, Block = 0x09, Block1 = 0x0a, Data1 = 0x0b, Flag = 0x0c, Sdata = 0x0d, Strp = 0x0e,
        Udata = 0x0f, RefAddr = 0x10, Ref1 = 0x11, Ref2 = 0x12, Ref4 = 0x13, Ref8 = 0x14, RefUdata = 0x15,
        Indirect = 0x16, SecOffset = 0x17, Exprloc = 0x18, FlagPresent = 0x19, Strx = 0x1a, Addrx = 0x1b,
        RefSup4 = 0x1c, StrpSup = 0x1d, Data16 = 0x1e, LineStrp = 0x1f, RefSig8 = 0x20, ImplicitConst = 0x21,
        Loclistx = 0x22, Rnglistx = 0x23, RefSup8 = 0x24, Strx1 = 0x25, Strx2 = 0x26, Strx3 = 0x27, Strx4 = 0x28,
        Addrx1 = 0x29, Addrx2 = 0x2a, Addrx3 = 0x2b, Addrx4 = 0x2c,
        GnuAddrIndex = 0x1f01, GnuStrIndex = 0x1f02, GnuRefAlt = 0x1f20, GnuStrpAlt = 0x1f21;
}

/// <summary>Base type encodings (DWARF 5 §7.8, table 7.11).</summary>
internal static class DwAte
{
    public const int Address = 0x1, Boolean = 0x2, ComplexFloat = 0x3, Float = 0x4, Signed = 0x5,
        SignedChar = 0x6, Unsigned = 0x7, UnsignedChar = 0x8, Utf = 0x10;
}

/// <summary>Go's reflect.Kind numbers as DW_AT_go_kind carries them (src/reflect/type.go).</summary>
internal static class GoKind
{
    public const int Bool = 1, Int = 2, Int64 = 6, Uint = 7, Uintptr = 12, Float32 = 13, Float64 = 14,
        Complex64 = 15, Complex128 = 16, Array = 17, Chan = 18, Func = 19, Interface = 20, Map = 21, Ptr = 22,
        Slice = 23, String = 24, Struct = 25, UnsafePointer = 26;
}
