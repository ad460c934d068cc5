using Calltape.Capture.Decoding;
using Calltape.Capture.Model;

namespace Calltape.Analyzer.Conversion;

/// <summary>The SQL shape of a parameter's column.</summary>
internal enum ColumnKind : byte
{
    /// <summary>BIGINT (signed integers).</summary>
    Int64,
    /// <summary>UBIGINT (unsigned integers, pointers and other word-sized handles).</summary>
    UInt64,
    /// <summary>BOOLEAN.</summary>
    Bool,
    /// <summary>VARCHAR.</summary>
    String,
    /// <summary>DOUBLE: a float passed on the stack; NULL for one in an XMM register, which BPF cannot read.</summary>
    NullDouble,
    /// <summary>VARCHAR: a composite value (struct, array, slice, interface) as its args JSON text; NULL when not captured.</summary>
    Json,
}

/// <summary>One parameter's decoding, precompiled from its plan so the convert loop neither boxes nor searches.</summary>
/// <remarks>
/// The fast path covers values that decode cleanly and must agree with <see cref="ValueDecoder"/> exactly (the unit
/// tests cross-check them). Whenever it cannot decode, the caller asks <see cref="ValueDecoder.DecodeParam"/>, which
/// stays the single source of truth for not-captured reasons.
/// </remarks>
internal sealed class ParamDecoder
{
    private readonly TypeKind _kind;
    private readonly int _size;
    private readonly Piece _p0, _p1;
    private readonly int _deref;

    public ParamDecoder(ProbeSpec probe, ParamSpec p)
    {
        Spec = p;
        _kind = p.Type.Kind;
        _size = p.Type.Size;
        Column = ColumnFor(p.Type);
        _p0 = p.Pieces.Count > 0 ? Piece.Of(probe, p.Pieces[0]) : Piece.Missing;
        _p1 = p.Pieces.Count > 1 ? Piece.Of(probe, p.Pieces[1]) : Piece.Missing;
        _deref = p.Deref;
        // A parameter the plan already gave up on never takes the fast path, nor does a value tree (a followed pointer,
        // a map or channel with its length): ValueDecoder decodes those.
        Enabled = p.NotCaptured is null && p.Value is null && Column is ColumnKind.Int64 or ColumnKind.UInt64 or ColumnKind.Bool or ColumnKind.String;
    }

    public ParamSpec Spec { get; }

    public ColumnKind Column { get; }

    private bool Enabled { get; }

    /// <summary>The column shape of a type: an option of a scalar or a string (Rust Option&lt;i64&gt;, Option&lt;String&gt;) is
    /// that value's column, NULL for None (TreeDecoder yields the value or nil); anything else by its kind.</summary>
    public static ColumnKind ColumnFor(TypeDesc t) =>
        t.Kind == TypeKind.Option && t.Fields.Count == 2 && t.Fields[1].Type.Kind is TypeKind.Int or TypeKind.Uint or TypeKind.Bool or TypeKind.String
            ? ColumnFor(t.Fields[1].Type.Kind)
            : ColumnFor(t.Kind);

    /// <summary>The column shape of a type kind, matching what ValueDecoder yields for it.</summary>
    public static ColumnKind ColumnFor(TypeKind kind) => kind switch
    {
        TypeKind.Int => ColumnKind.Int64,
        TypeKind.Uint or TypeKind.Pointer or TypeKind.Map or TypeKind.Chan or TypeKind.Func => ColumnKind.UInt64,
        TypeKind.Bool => ColumnKind.Bool,
        TypeKind.String => ColumnKind.String,
        TypeKind.Float => ColumnKind.NullDouble,
        _ => ColumnKind.Json,
    };

    /// <summary>Decodes a scalar into its 64 bits (long, ulong, or 0/1), or false when the slow path must explain why.</summary>
    public bool TryScalar(RawEvent ev, out ulong bits)
    {
        bits = 0;
        if (!Enabled || !_p0.TryRead(ev, out var raw)) return false;
        bits = _kind switch
        {
            TypeKind.Bool => (raw & 0xff) != 0 ? 1UL : 0UL,
            TypeKind.Int => _size switch
            {
                1 => (ulong)(long)(sbyte)raw,
                2 => (ulong)(long)(short)raw,
                4 => (ulong)(long)(int)raw,
                _ => raw,
            },
            TypeKind.Uint => _size switch
            {
                1 => raw & 0xff,
                2 => raw & 0xffff,
                4 => raw & 0xffff_ffff,
                _ => raw,
            },
            _ => raw,
        };
        return true;
    }

    /// <summary>A complete string's UTF-8 bytes, or false when it is missing, nil, unreadable or truncated.</summary>
    /// <remarks>The bytes, not a string: the caller decodes them once, into the row group's text (TextBuffer.AddUtf8).</remarks>
    public bool TryUtf8(RawEvent ev, out ReadOnlySpan<byte> utf8)
    {
        utf8 = default;
        if (!Enabled || !_p0.TryRead(ev, out var ptr) || !_p1.TryRead(ev, out var len)) return false;
        if (len == 0) return true;
        if (_deref < 0 || _deref >= ev.Derefs.Length || ptr == 0) return false;
        var d = ev.Derefs[_deref];
        // The length register is the truth; fewer bytes than it says means truncated (ValueDecoder.DecodeString).
        if (d.Error != 0 || (ulong)d.Data.Length < len) return false;
        utf8 = d.Data.AsSpan(0, (int)len);
        return true;
    }

    /// <summary>
    /// Stores a value the slow path decoded: a followed pointer, map or channel keeps its address in its UBIGINT column
    /// (the JSON shows what it points to), a composite its JSON text, anything else as ParamColumn takes it.
    /// </summary>
    public void SetColumn(ParamColumn col, int row, RawEvent ev, DecodedValue v)
    {
        if (Spec.Value is not null && Spec.NotCaptured is null && _kind is TypeKind.Pointer or TypeKind.Map or TypeKind.Chan or TypeKind.Func
            && _p0.TryRead(ev, out var address))
            col.SetBits(row, address);
        else if (Column == ColumnKind.Json && v.Value is not null)
            col.SetDecoded(row, ValueDecoder.JsonText(v));
        else
            col.SetDecoded(row, v.Value);
    }

    /// <summary>A register (as its index among the plan's kept registers) or a stack slot.</summary>
    private readonly record struct Piece(SourceKind Kind, int Index)
    {
        public static Piece Missing => new(SourceKind.None, -1);

        public static Piece Of(ProbeSpec probe, Source s) => s.Kind switch
        {
            SourceKind.Register => new Piece(SourceKind.Register, probe.Plan.IndexOf((Reg)s.Index)),
            SourceKind.Stack => new Piece(SourceKind.Stack, s.Index),
            _ => Missing,
        };

        public bool TryRead(RawEvent ev, out ulong value)
        {
            value = 0;
            switch (Kind)
            {
                case SourceKind.Register:
                    if ((uint)Index >= (uint)ev.Registers.Length) return false;
                    value = ev.Registers[Index];
                    return true;
                case SourceKind.Stack:
                    if (ev.Stack is null || Index < 0 || Index + 8 > ev.Stack.Length) return false;
                    value = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(ev.Stack.AsSpan(Index));
                    return true;
                default:
                    return false;
            }
        }
    }
}
