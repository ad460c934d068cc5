using System.Text;

namespace Calltape.Symbols;

/// <summary>Rust's v0 mangling ("_R..."), read per the Rust symbol-mangling RFC 2603 grammar.</summary>
/// <remarks>
/// Output is rustc-demangle's alternate form, which c++filt also prints apart from crate disambiguators: those
/// ("core[4e4b…]") are left out, as are the instantiating crate and any ".llvm." suffix. Const generics, dyn
/// bounds and function-pointer types are outside the subset: such symbols keep their mangled name.
/// </remarks>
internal sealed class DemangleRustV0
{
    private readonly string _s;
    private int _p;
    private int _depth;

    private DemangleRustV0(string s, int p)
    {
        _s = s;
        _p = p;
    }

    /// <summary>The demangled path, or null outside the subset.</summary>
    public static string? TryDemangle(string symbol)
    {
        var dot = symbol.IndexOf('.');
        var s = dot < 0 ? symbol : symbol[..dot];
        try
        {
            var d = new DemangleRustV0(s, 2);
            if (char.IsAsciiDigit(d.Peek())) d.Decimal(); // encoding version: only 0 (absent) exists
            var path = d.Path(inValue: true);
            if (d._p < s.Length) d.Path(inValue: false); // the instantiating crate, not printed
            return d._p == s.Length ? path : null;
        }
        catch (Exception e) when (Demangler.IsMalformed(e))
        {
            return null;
        }
    }

    private char Peek() => _p < _s.Length ? _s[_p] : '\0';

    private char Next() => _p < _s.Length ? _s[_p++] : throw new FormatException("truncated");

    private bool Eat(char c)
    {
        if (Peek() != c) return false;
        _p++;
        return true;
    }

    /// <summary>&lt;path&gt;; in value position generic arguments print as "::&lt;…&gt;" (RFC 2603 "Paths").</summary>
    private string Path(bool inValue)
    {
        if (++_depth > 100) throw new FormatException("too deep");
        try
        {
            var c = Next();
            switch (c)
            {
                case 'C':
                    Disambiguator();
                    return Identifier().Name;
                case 'N':
                {
                    var ns = Next();
                    var prefix = Path(inValue);
                    var (dis, name) = Identifier();
                    if (char.IsAsciiLetterUpper(ns))
                    {
                        var kind = ns == 'C' ? "closure" : ns == 'S' ? "shim" : ns.ToString();
                        return prefix + "::{" + kind + (name.Length > 0 ? ":" + name : "") + "#" + dis + "}";
                    }
                    return name.Length == 0 ? prefix : prefix + "::" + name;
                }
                case 'M':
                    Disambiguator();
                    Path(false); // the impl's own path is not printed
                    return "<" + Type() + ">";
                case 'X':
                {
                    Disambiguator();
                    Path(false);
                    var self = Type();
                    return "<" + self + " as " + Path(false) + ">";
                }
                case 'Y':
                {
                    var self = Type();
                    return "<" + self + " as " + Path(false) + ">";
                }
                case 'I':
                {
                    var head = Path(inValue);
                    var args = new List<string>();
                    while (!Eat('E'))
                    {
                        var a = GenericArg();
                        if (a is not null) args.Add(a);
                    }
                    return head + (inValue ? "::<" : "<") + string.Join(", ", args) + ">";
                }
                case 'B':
                    return AtBackref(() => Path(inValue));
                default:
                    throw new FormatException("path");
            }
        }
        finally
        {
            _depth--;
        }
    }

    /// <summary>A lifetime (not printed, like c++filt's default), a type, or an unsupported const.</summary>
    private string? GenericArg()
    {
        if (Eat('L'))
        {
            Base62();
            return null;
        }
        if (Peek() == 'K') throw new FormatException("const generics are outside the subset");
        return Type();
    }

    private static readonly Dictionary<char, string> Basic = new()
    {
        ['a'] = "i8", ['b'] = "bool", ['c'] = "char", ['d'] = "f64", ['e'] = "str", ['f'] = "f32", ['h'] = "u8",
        ['i'] = "isize", ['j'] = "usize", ['l'] = "i32", ['m'] = "u32", ['n'] = "i128", ['o'] = "u128", ['s'] = "i16",
        ['t'] = "u16", ['u'] = "()", ['v'] = "...", ['x'] = "i64", ['y'] = "u64", ['z'] = "!", ['p'] = "_",
    };

    /// <summary>&lt;type&gt; (RFC 2603 "Types").</summary>
    private string Type()
    {
        if (++_depth > 100) throw new FormatException("too deep");
        try
        {
            var c = Peek();
            if (Basic.TryGetValue(c, out var basic))
            {
                _p++;
                return basic;
            }
            switch (c)
            {
                case 'R' or 'Q':
                {
                    _p++;
                    if (Eat('L')) Base62();
                    return (c == 'R' ? "&" : "&mut ") + Type();
                }
                case 'P': _p++; return "*const " + Type();
                case 'O': _p++; return "*mut " + Type();
                case 'S': _p++; return "[" + Type() + "]";
                case 'A': throw new FormatException("arrays carry a const length: outside the subset");
                case 'T':
                {
                    _p++;
                    var items = new List<string>();
                    while (!Eat('E')) items.Add(Type());
                    return "(" + string.Join(", ", items) + (items.Count == 1 ? ",)" : ")");
                }
                case 'B':
                    _p++;
                    return AtBackref(Type);
                case 'F' or 'D':
                    throw new FormatException("fn pointers and dyn types are outside the subset");
                default:
                    return Path(inValue: false);
            }
        }
        finally
        {
            _depth--;
        }
    }

    /// <summary>B &lt;base-62-number&gt;: re-read from that byte offset after "_R", then continue here.</summary>
    private string AtBackref(Func<string> read)
    {
        var target = 2 + (int)Base62();
        if (target >= _p - 1) throw new FormatException("forward backref");
        var saved = _p;
        _p = target;
        var result = read();
        _p = saved;
        return result;
    }

    /// <summary>[s &lt;base-62-number&gt;]: the disambiguator's value is the number + 1 when present, else 0.</summary>
    private long Disambiguator() => Eat('s') ? Base62() + 1 : 0;

    /// <summary>&lt;identifier&gt; = [&lt;disambiguator&gt;] [u] &lt;decimal&gt; [_] &lt;bytes&gt;.</summary>
    private (long Dis, string Name) Identifier()
    {
        var dis = Disambiguator();
        if (Eat('u')) throw new FormatException("punycode identifiers are outside the subset");
        var len = Decimal();
        Eat('_');
        if (len > _s.Length - _p) throw new FormatException("identifier length");
        var name = _s.Substring(_p, (int)len);
        _p += (int)len;
        return (dis, name);
    }

    private long Decimal()
    {
        if (!char.IsAsciiDigit(Peek())) throw new FormatException("decimal");
        if (Peek() == '0')
        {
            _p++;
            return 0;
        }
        long n = 0;
        while (char.IsAsciiDigit(Peek())) n = checked(n * 10 + (Next() - '0'));
        return n;
    }

    /// <summary>&lt;base-62-number&gt; = {0-9a-zA-Z} "_": "_" is 0, otherwise the digits' value + 1.</summary>
    private long Base62()
    {
        if (Eat('_')) return 0;
        long n = 0;
        while (!Eat('_'))
        {
            var c = Next();
            var d = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetterLower(c) ? c - 'a' + 10 : char.IsAsciiLetterUpper(c) ? c - 'A' + 36 : throw new FormatException("base62");
            n = unchecked(n * 62 + d); // crate disambiguators are 64-bit hashes; only small closure indexes are printed
        }
        return n + 1;
    }
}
