using System.Text;

namespace Calltape.Symbols;

/// <summary>A recursive-descent reader for a subset of the Itanium C++ ABI mangling grammar (§5.1 "External Names").</summary>
/// <remarks>
/// Productions follow the ABI's grammar names. Substitution candidates are recorded in the ABI's order (§5.1.9: every
/// prefix of a nested name, template names, and every non-builtin type), so S_, S0_, ... resolve exactly. Output
/// spacing follows GNU c++filt. Unsupported productions (expressions, member pointers, packs of expressions...)
/// throw <see cref="FormatException"/> and the caller keeps the mangled name.
/// </remarks>
internal sealed partial class DemangleItanium
{
    private readonly string _s;
    private int _p;
    private readonly List<CxxType> _subs = [];
    private List<CxxType>? _templateArgs; // what T_, T0_ ... refer to: the last template arguments of the entity's name
    private int _typeDepth;               // >0 while reading a type: its template arguments do not rebind T_

    private DemangleItanium(string s, int p)
    {
        _s = s;
        _p = p;
    }

    /// <summary>The demangled name of a "_Z..." symbol, or null when it is outside the subset.</summary>
    public static string? TryDemangle(string symbol)
    {
        var dot = symbol.IndexOf('.');
        var main = dot < 0 ? symbol : symbol[..dot];
        try
        {
            var d = new DemangleItanium(main, 2);
            var text = d.Encoding(topLevel: true);
            if (d._p != main.Length) return null;
            return dot < 0 ? text : text + CloneSuffixes(symbol[dot..]);
        }
        catch (Exception e) when (Demangler.IsMalformed(e))
        {
            return null;
        }
    }

    /// <summary>gcc clone suffixes (".isra.0", ".constprop.1", ".cold"), as c++filt prints them: " [clone .isra.0]".</summary>
    private static string CloneSuffixes(string rest)
    {
        var sb = new StringBuilder();
        var i = 0;
        while (i < rest.Length && rest[i] == '.')
        {
            var start = i++;
            while (i < rest.Length && (char.IsAsciiLetter(rest[i]) || rest[i] == '_')) i++;
            while (i + 1 < rest.Length && rest[i] == '.' && char.IsAsciiDigit(rest[i + 1]))
            {
                i++;
                while (i < rest.Length && char.IsAsciiDigit(rest[i])) i++;
            }
            if (i == start + 1) throw new FormatException("bad clone suffix");
            sb.Append(" [clone ").Append(rest, start, i - start).Append(']');
        }
        if (i != rest.Length) throw new FormatException("bad clone suffix");
        return sb.ToString();
    }

    private char Peek(int k = 0) => _p + k < _s.Length ? _s[_p + k] : '\0';

    private void Expect(char c)
    {
        if (Peek() != c) throw new FormatException($"expected '{c}' at {_p}");
        _p++;
    }

    private bool Eat(char c)
    {
        if (Peek() != c) return false;
        _p++;
        return true;
    }

    /// <summary>&lt;encoding&gt; ::= &lt;name&gt; &lt;bare-function-type&gt; | &lt;name&gt; | &lt;special-name&gt;</summary>
    /// <param name="topLevel">The symbol's own encoding (not one nested in a local name or thunk).</param>
    /// <param name="withReturn">Print a template function's return type; c++filt omits it for the function enclosing a local name.</param>
    private string Encoding(bool topLevel, bool withReturn = true)
    {
        if (Peek() is 'T' or 'G') return SpecialName();
        var saved = _templateArgs;
        var name = Name(typeContext: false);
        if (_p >= _s.Length || Peek() == 'E' || (!topLevel && Peek() == '.'))
        {
            if (!topLevel) _templateArgs = saved;
            return name.Text;
        }
        // §5.1.3: template functions (other than constructors, destructors and conversion operators) mangle the
        // return type first.
        string? ret = null;
        if (name.IsTemplate && !name.IsCtorDtorConv)
        {
            var r = Type().Render();
            if (withReturn) ret = r;
        }
        var ps = new List<string>();
        while (_p < _s.Length && Peek() != 'E' && Peek() != '.') ps.Add(Type().Render());
        var paramText = ps.Count == 1 && ps[0] == "void" ? "" : string.Join(", ", ps);
        var text = (ret is null ? "" : ret + " ") + name.Text + "(" + paramText + ")" + name.Qualifiers;
        if (!topLevel) _templateArgs = saved;
        return text;
    }

    /// <summary>Virtual tables, typeinfo, guard variables and thunks (§5.1.4).</summary>
    private string SpecialName()
    {
        if (Eat('G'))
        {
            if (Eat('V')) return "guard variable for " + Name(false).Text;
            throw new FormatException("special name");
        }
        Expect('T');
        var c = _s[_p++];
        switch (c)
        {
            case 'V': return "vtable for " + Type().Render();
            case 'T': return "VTT for " + Type().Render();
            case 'I': return "typeinfo for " + Type().Render();
            case 'S': return "typeinfo name for " + Type().Render();
            case 'h':
                CallOffsetNumber();
                Expect('_');
                return "non-virtual thunk to " + Encoding(false);
            case 'v':
                CallOffsetNumber();
                Expect('_');
                CallOffsetNumber();
                Expect('_');
                return "virtual thunk to " + Encoding(false);
            default: throw new FormatException("special name");
        }
    }

    private void CallOffsetNumber()
    {
        Eat('n');
        if (!char.IsAsciiDigit(Peek())) throw new FormatException("number");
        while (char.IsAsciiDigit(Peek())) _p++;
    }

    /// <summary>A parsed entity name and what the function encoding needs to know about it.</summary>
    private readonly record struct NameInfo(string Text, bool IsTemplate, bool IsCtorDtorConv, string Qualifiers);

    /// <summary>&lt;name&gt;: nested, unscoped (maybe std::), unscoped template, local, or a substitution with template args.</summary>
    private NameInfo Name(bool typeContext)
    {
        switch (Peek())
        {
            case 'N': return NestedName();
            case 'Z': return LocalName();
            case 'S' when Peek(1) != 't':
            {
                // <unscoped-template-name> may be a substitution: S_ I ... E
                var sub = Substitution();
                if (Peek() != 'I') return new NameInfo(sub.Render(), false, false, "");
                var args = TemplateArgs();
                return new NameInfo(WithArgs(sub.Render(), args), true, false, "");
            }
        }
        var std = false;
        if (Peek() == 'S' && Peek(1) == 't')
        {
            _p += 2;
            std = true;
        }
        var (text, ctorConv) = UnqualifiedName(null);
        if (std) text = "std::" + text;
        if (Peek() != 'I') return new NameInfo(text, false, ctorConv, "");
        _subs.Add(CxxType.Named(text)); // the <unscoped-template-name> is a candidate (§5.1.9)
        var targs = TemplateArgs();
        return new NameInfo(WithArgs(text, targs), true, ctorConv, "");
    }

    /// <summary>N [CV-qualifiers] [ref-qualifier] &lt;prefix&gt; &lt;unqualified-name&gt; E (§5.1.5).</summary>
    private NameInfo NestedName()
    {
        Expect('N');
        var quals = CvQualifiers();
        var qualText = quals.Const ? " const" : "";
        if (quals.Volatile) qualText += " volatile";
        if (quals.Restrict) qualText += " restrict";
        if (Eat('R')) qualText += " &";
        else if (Eat('O')) qualText += " &&";

        string? cur = null;
        string? lastSimple = null; // the last source name: a constructor or destructor takes its class's name
        var isTemplate = false;
        var ctorConv = false;
        while (!Eat('E'))
        {
            var fromSub = false;
            isTemplate = false;
            var componentCtor = false;
            if (Peek() == 'S' && Peek(1) == 't')
            {
                _p += 2;
                cur = cur is null ? "std" : throw new FormatException("St inside a prefix");
                continue; // "std" itself is not a substitution candidate
            }
            if (Peek() == 'S')
            {
                cur = Substitution().Render();
                lastSimple = LastComponent(cur);
                fromSub = true;
            }
            else if (Peek() == 'I')
            {
                if (cur is null) throw new FormatException("template args without a name");
                cur = WithArgs(cur, TemplateArgs());
                isTemplate = true;
            }
            else if (Peek() == 'T')
            {
                cur = Join(cur, TemplateParam().Render());
            }
            else
            {
                var (text, cc) = UnqualifiedName(lastSimple);
                componentCtor = cc;
                if (!cc) lastSimple = text;
                cur = Join(cur, text);
            }
            if (!isTemplate) ctorConv = componentCtor;
            if (Peek() != 'E' && !fromSub) _subs.Add(CxxType.Named(cur!));
        }
        if (cur is null) throw new FormatException("empty nested name");
        return new NameInfo(cur, isTemplate, ctorConv, qualText);
    }

    private static string Join(string? prefix, string name) => prefix is null ? name : prefix + "::" + name;

    private static string LastComponent(string name)
    {
        var lt = name.IndexOf('<');
        var head = lt < 0 ? name : name[..lt];
        var i = head.LastIndexOf("::", StringComparison.Ordinal);
        return i < 0 ? head : head[(i + 2)..];
    }

    /// <summary>Z &lt;function encoding&gt; E &lt;entity name&gt; [&lt;discriminator&gt;] | Z &lt;encoding&gt; E s (§5.1.6).</summary>
    private NameInfo LocalName()
    {
        Expect('Z');
        var outer = Encoding(false, withReturn: false);
        Expect('E');
        if (Eat('s'))
        {
            Discriminator();
            return new NameInfo(outer + "::string literal", false, false, "");
        }
        var inner = Name(false);
        Discriminator();
        return inner with { Text = outer + "::" + inner.Text };
    }

    private void Discriminator()
    {
        if (!Eat('_')) return;
        if (Eat('_'))
        {
            while (char.IsAsciiDigit(Peek())) _p++;
            Expect('_');
        }
        else if (char.IsAsciiDigit(Peek())) _p++;
    }

    private (bool Restrict, bool Volatile, bool Const) CvQualifiers() => (Eat('r'), Eat('V'), Eat('K'));

    /// <summary>&lt;template-args&gt; ::= I &lt;template-arg&gt;+ E; rebinds T_ unless read inside a type.</summary>
    private List<CxxType> TemplateArgs()
    {
        Expect('I');
        var args = new List<CxxType>();
        while (!Eat('E')) args.Add(TemplateArg());
        if (_typeDepth == 0) _templateArgs = args;
        return args;
    }

    private CxxType TemplateArg()
    {
        switch (Peek())
        {
            case 'L': return CxxType.Named(ExprPrimary());
            case 'J':
            {
                _p++;
                var pack = new List<string>();
                while (!Eat('E')) pack.Add(TemplateArg().Render());
                return CxxType.Named(string.Join(", ", pack));
            }
            case 'X': throw new FormatException("expression template arguments are outside the subset");
            default:
                _typeDepth++;
                try
                {
                    return Type();
                }
                finally
                {
                    _typeDepth--;
                }
        }
    }

    /// <summary>"name&lt;a, b&gt;", with c++filt's space between closing brackets ("&lt;c&lt;d&gt; &gt;").</summary>
    private static string WithArgs(string name, List<CxxType> args)
    {
        var inner = string.Join(", ", args.Select(a => a.Render()));
        var open = name.EndsWith('<') ? " <" : "<";
        return name + open + inner + (inner.EndsWith('>') ? " >" : ">");
    }

    /// <summary>L &lt;type&gt; &lt;value&gt; E: integer and bool literals as c++filt prints them; L _Z encoding E.</summary>
    private string ExprPrimary()
    {
        Expect('L');
        if (Peek() == '_' && Peek(1) == 'Z')
        {
            _p += 2;
            var e = Encoding(false);
            Expect('E');
            return e;
        }
        var type = Type();
        var neg = Eat('n');
        var start = _p;
        while (Peek() != 'E' && _p < _s.Length) _p++;
        var digits = _s[start.._p];
        Expect('E');
        var value = (neg ? "-" : "") + digits;
        return type.Render() switch
        {
            "bool" when digits is "0" or "1" => digits == "1" ? "true" : "false",
            "int" => value,
            "unsigned int" => value + "u",
            "long" => value + "l",
            "unsigned long" => value + "ul",
            "long long" => value + "ll",
            "unsigned long long" => value + "ull",
            var t => $"({t}){value}",
        };
    }
}
