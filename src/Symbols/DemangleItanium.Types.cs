namespace Calltape.Symbols;

/// <summary>Types, unqualified names and substitutions of the Itanium mangling grammar (§5.1.5–§5.1.10).</summary>
internal sealed partial class DemangleItanium
{
    /// <summary>&lt;builtin-type&gt; codes (§5.1.5) and their c++filt spelling.</summary>
    private static readonly Dictionary<char, string> Builtins = new()
    {
        ['v'] = "void", ['w'] = "wchar_t", ['b'] = "bool", ['c'] = "char", ['a'] = "signed char",
        ['h'] = "unsigned char", ['s'] = "short", ['t'] = "unsigned short", ['i'] = "int", ['j'] = "unsigned int",
        ['l'] = "long", ['m'] = "unsigned long", ['x'] = "long long", ['y'] = "unsigned long long",
        ['n'] = "__int128", ['o'] = "unsigned __int128", ['f'] = "float", ['d'] = "double", ['e'] = "long double",
        ['g'] = "__float128", ['z'] = "...",
    };

    /// <summary>D-prefixed builtins (§5.1.5).</summary>
    private static readonly Dictionary<char, string> DBuiltins = new()
    {
        ['n'] = "decltype(nullptr)", ['i'] = "char32_t", ['s'] = "char16_t", ['u'] = "char8_t", ['a'] = "auto",
        ['c'] = "decltype(auto)",
    };

    /// <summary>&lt;operator-name&gt; codes (§5.1.5) and their spelling after "operator".</summary>
    private static readonly Dictionary<string, string> Operators = new()
    {
        ["nw"] = " new", ["na"] = " new[]", ["dl"] = " delete", ["da"] = " delete[]", ["ps"] = "+", ["ng"] = "-",
        ["ad"] = "&", ["de"] = "*", ["co"] = "~", ["pl"] = "+", ["mi"] = "-", ["ml"] = "*", ["dv"] = "/",
        ["rm"] = "%", ["an"] = "&", ["or"] = "|", ["eo"] = "^", ["aS"] = "=", ["pL"] = "+=", ["mI"] = "-=",
        ["mL"] = "*=", ["dV"] = "/=", ["rM"] = "%=", ["aN"] = "&=", ["oR"] = "|=", ["eO"] = "^=", ["ls"] = "<<",
        ["rs"] = ">>", ["lS"] = "<<=", ["rS"] = ">>=", ["eq"] = "==", ["ne"] = "!=", ["lt"] = "<", ["gt"] = ">",
        ["le"] = "<=", ["ge"] = ">=", ["ss"] = "<=>", ["nt"] = "!", ["aa"] = "&&", ["oo"] = "||", ["pp"] = "++",
        ["mm"] = "--", ["cm"] = ",", ["pm"] = "->*", ["pt"] = "->", ["cl"] = "()", ["ix"] = "[]", ["qu"] = "?",
    };

    /// <summary>&lt;substitution&gt; abbreviations for std entities (§5.1.10), as c++filt spells them.</summary>
    private static readonly Dictionary<char, string> StdAbbreviations = new()
    {
        ['a'] = "std::allocator", ['b'] = "std::basic_string", ['s'] = "std::string", ['i'] = "std::istream",
        ['o'] = "std::ostream", ['d'] = "std::iostream",
    };

    /// <summary>
    /// &lt;unqualified-name&gt;: source name, operator, constructor/destructor (named after <paramref name="className"/>),
    /// lambda or unnamed type. Returns whether it is a constructor, destructor or conversion operator.
    /// </summary>
    private (string Text, bool CtorDtorConv) UnqualifiedName(string? className)
    {
        var c = Peek();
        if (char.IsAsciiDigit(c)) return (SourceName(), false);
        if (c == 'L')
        {
            _p++; // internal linkage marker (gcc): L <source-name>
            var n = SourceName();
            Discriminator();
            return (n, false);
        }
        if (c == 'C' && Peek(1) is '1' or '2' or '3' or '4' or '5')
        {
            _p += 2;
            return (className ?? throw new FormatException("constructor outside a class"), true);
        }
        if (c == 'C' && Peek(1) == 'I') throw new FormatException("inheriting constructors are outside the subset");
        if (c == 'D' && Peek(1) is '0' or '1' or '2' or '4' or '5')
        {
            _p += 2;
            return ("~" + (className ?? throw new FormatException("destructor outside a class")), true);
        }
        if (c == 'U' && Peek(1) == 't')
        {
            _p += 2;
            return ($"{{unnamed type#{SeqNumberPlusOne()}}}", false);
        }
        if (c == 'U' && Peek(1) == 'l')
        {
            _p += 2;
            var ps = new List<string>();
            while (!Eat('E')) ps.Add(Type().Render());
            var paramText = ps.Count == 1 && ps[0] == "void" ? "" : string.Join(", ", ps);
            var name = $"{{lambda({paramText})#{SeqNumberPlusOne()}}}";
            return (name, false);
        }
        if (c == 'c' && Peek(1) == 'v')
        {
            _p += 2;
            _typeDepth++;
            try
            {
                return ("operator " + Type().Render(), true);
            }
            finally
            {
                _typeDepth--;
            }
        }
        if (_p + 2 <= _s.Length && Operators.TryGetValue(_s.Substring(_p, 2), out var op))
        {
            _p += 2;
            return ("operator" + op, false);
        }
        throw new FormatException($"unqualified name at {_p}");
    }

    /// <summary>"[number] _": absent number is 1, otherwise number + 2 (closure and unnamed type numbering, §5.1.8).</summary>
    private int SeqNumberPlusOne()
    {
        if (Eat('_')) return 1;
        var n = Number();
        Expect('_');
        return n + 2;
    }

    /// <summary>&lt;source-name&gt; ::= &lt;positive length number&gt; &lt;identifier&gt;</summary>
    private string SourceName()
    {
        var len = Number();
        if (len <= 0 || _p + len > _s.Length) throw new FormatException("source name length");
        var id = _s.Substring(_p, len);
        _p += len;
        // gcc's anonymous namespace: _GLOBAL__N_1 (cp-demangle prints it as c++filt does).
        return id.StartsWith("_GLOBAL__N", StringComparison.Ordinal) ? "(anonymous namespace)" : id;
    }

    private int Number()
    {
        if (!char.IsAsciiDigit(Peek())) throw new FormatException("number");
        var n = 0;
        while (char.IsAsciiDigit(Peek()))
        {
            n = checked(n * 10 + (_s[_p++] - '0'));
        }
        return n;
    }

    /// <summary>&lt;substitution&gt; ::= S_ | S &lt;seq-id&gt; _ | St | Sa | Sb | Ss | Si | So | Sd (§5.1.10; seq-id is base 36).</summary>
    private CxxType Substitution()
    {
        Expect('S');
        if (StdAbbreviations.TryGetValue(Peek(), out var abbr))
        {
            _p++;
            return CxxType.Named(abbr);
        }
        var index = 0;
        if (!Eat('_'))
        {
            var seq = 0;
            while (Peek() != '_')
            {
                var c = _s[_p++];
                seq = checked(seq * 36 + (char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetterUpper(c) ? c - 'A' + 10 : throw new FormatException("seq-id")));
            }
            _p++;
            index = seq + 1;
        }
        if (index >= _subs.Count) throw new FormatException("substitution out of range");
        return _subs[index];
    }

    /// <summary>&lt;template-param&gt; ::= T_ | T &lt;number&gt; _ : an argument of the entity's template.</summary>
    private CxxType TemplateParam()
    {
        Expect('T');
        var index = Eat('_') ? 0 : Number() + 1;
        if (index > 0) Expect('_');
        if (_templateArgs is null || index >= _templateArgs.Count) throw new FormatException("template parameter out of range");
        return _templateArgs[index];
    }

    /// <summary>&lt;type&gt;: every non-builtin type read here becomes a substitution candidate (§5.1.9).</summary>
    private CxxType Type()
    {
        var c = Peek();
        if (Builtins.TryGetValue(c, out var builtin))
        {
            _p++;
            return CxxType.Named(builtin);
        }
        if (c == 'D' && DBuiltins.TryGetValue(Peek(1), out var dBuiltin))
        {
            _p += 2;
            return CxxType.Named(dBuiltin);
        }
        if (c == 'u')
        {
            _p++;
            return Add(CxxType.Named(SourceName())); // vendor extended type
        }
        CxxType t;
        switch (c)
        {
            case 'r' or 'V' or 'K':
            {
                var q = CvQualifiers();
                var inner = Type();
                var text = (q.Const ? " const" : "") + (q.Volatile ? " volatile" : "") + (q.Restrict ? " restrict" : "");
                return Add(inner.Qualified(text));
            }
            case 'P': _p++; return Add(Type().Derived("*"));
            case 'R': _p++; return Add(Type().Derived("&"));
            case 'O': _p++; return Add(Type().Derived("&&"));
            case 'F':
            {
                _p++;
                Eat('Y');
                var ret = Type();
                var ps = new List<CxxType>();
                while (!Eat('E'))
                {
                    if (Peek() is 'R' or 'O' && Peek(1) == 'E') throw new FormatException("ref-qualified function type");
                    ps.Add(Type());
                }
                return Add(CxxType.Function(ret, ps));
            }
            case 'A':
            {
                _p++;
                var n = Peek() == '_' ? "" : Number().ToString(System.Globalization.CultureInfo.InvariantCulture);
                Expect('_');
                return Add(CxxType.Array(Type(), n));
            }
            case 'T':
            {
                t = Add(TemplateParam());
                if (Peek() != 'I') return t;
                return Add(CxxType.Named(WithArgs(t.Render(), TemplateArgsInType())));
            }
            case 'S' when Peek(1) != 't':
            {
                t = Substitution();
                if (Peek() != 'I') return t;
                // A substitution followed by template arguments is a new <class-enum-type>: only the instance is added.
                return Add(CxxType.Named(WithArgs(t.Render(), TemplateArgsInType())));
            }
            case 'D' when Peek(1) is 'p' or 't' or 'T' or 'v':
                throw new FormatException("pack expansions, decltype and vector types are outside the subset");
            case 'M':
                throw new FormatException("member pointers are outside the subset");
            default:
            {
                _typeDepth++;
                try
                {
                    return Add(CxxType.Named(Name(typeContext: true).Text));
                }
                finally
                {
                    _typeDepth--;
                }
            }
        }
    }

    private List<CxxType> TemplateArgsInType()
    {
        _typeDepth++;
        try
        {
            return TemplateArgs();
        }
        finally
        {
            _typeDepth--;
        }
    }

    private CxxType Add(CxxType t)
    {
        _subs.Add(t);
        return t;
    }
}
