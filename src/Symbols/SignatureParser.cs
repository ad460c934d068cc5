using Calltape.Capture;
using Calltape.Capture.Model;

namespace Calltape.Symbols;

/// <summary>
/// A signature given with -p ("main.handle(id int64, name string)", "parse(const char *s, int n)") turned into the same
/// FunctionInfo the DWARF path produces, for binaries without DWARF (stripped Go and C) and Go assembly functions,
/// whose Go declaration has no DWARF parameters. Pure; a malformed signature is a one-line CalltapeException (exit 2).
/// </summary>
/// <remarks>
/// Type names and sizes follow what DwarfReader reports for the same declaration: Go names as the gc compiler's DWARF
/// spells them (int64, string, *main.T, []uint8), C base types as gcc spells them (long int, unsigned int, _Bool) and
/// typedefs by their own name (size_t), sizes per the amd64 Go spec "Size and alignment guarantees" and SysV psABI §3.1.2.
/// </remarks>
public static class SignatureParser
{
    /// <summary>The function name and, when the text ends with a parameter list, the signature text after the name.</summary>
    /// <remarks>
    /// The parameter list is the first '(' not right after a '.', because Go method names contain "(*T)" only in
    /// the form "pkg.(*T).M" (cmd/compile symbol naming); anything after its ')' is Go results.
    /// </remarks>
    public static (string Name, string? Signature) Split(string probe)
    {
        var open = -1;
        for (var i = 1; i < probe.Length; i++)
            if (probe[i] == '(' && probe[i - 1] != '.') { open = i; break; }
        if (open < 0) return (probe, null);
        return (probe[..open].TrimEnd(), probe[open..]);
    }

    /// <summary>Parses "(params) results" for a Go or a C function; the result has the parameters then the results.</summary>
    /// <param name="functionName">Names the FunctionInfo and the error message.</param>
    public static FunctionInfo Parse(string functionName, string signature, bool go, ulong lowPc = 0)
    {
        try
        {
            var text = signature.Trim();
            if (!text.StartsWith('(')) throw Bad("the parameter list must start with '('");
            var close = MatchingParen(text, 0);
            var inner = text[1..close];
            var rest = text[(close + 1)..].Trim();
            var parameters = go ? GoParams(inner, results: false) : CParams(inner);
            if (rest.Length > 0)
            {
                if (!go) throw Bad($"unexpected '{rest}' after the parameter list");
                var results = rest.StartsWith('(') && MatchingParen(rest, 0) == rest.Length - 1
                    ? GoParams(rest[1..^1], results: true)
                    : [new ParamInfo("~r0", GoValueType(rest), IsReturn: true)];
                parameters.AddRange(results);
            }
            return new FunctionInfo(functionName, lowPc, parameters);
        }
        catch (SignatureError e)
        {
            throw new CalltapeException($"bad signature for {functionName}: {e.Message} in '{signature}'", ExitCodes.BadInput);
        }
    }

    private sealed class SignatureError(string message) : Exception(message);

    private static SignatureError Bad(string message) => new(message);

    private static int MatchingParen(string s, int open)
    {
        var depth = 0;
        for (var i = open; i < s.Length; i++)
        {
            if (s[i] is '(' or '[' or '{') depth++;
            else if (s[i] is ')' or ']' or '}' && --depth == 0) return i;
        }
        throw Bad("unbalanced brackets");
    }

    /// <summary>Top-level comma-separated parts (commas inside brackets belong to a type such as map[K]V or func(a, b)).</summary>
    private static List<string> SplitTopLevel(string s)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] is '(' or '[' or '{') depth++;
            else if (s[i] is ')' or ']' or '}') depth--;
            else if (s[i] == ',' && depth == 0)
            {
                parts.Add(s[start..i].Trim());
                start = i + 1;
            }
        }
        var last = s[start..].Trim();
        if (last.Length > 0 || parts.Count > 0) parts.Add(last);
        if (parts.Any(p => p.Length == 0)) throw Bad("empty parameter");
        return parts;
    }

    // ---- Go (The Go Programming Language Specification, "Function types": ParameterList) ----

    private static readonly Dictionary<string, TypeDesc> GoBasic = new(StringComparer.Ordinal)
    {
        ["int"] = new("int", TypeKind.Int, 8), ["int8"] = new("int8", TypeKind.Int, 1),
        ["int16"] = new("int16", TypeKind.Int, 2), ["int32"] = new("int32", TypeKind.Int, 4),
        ["int64"] = new("int64", TypeKind.Int, 8), ["uint"] = new("uint", TypeKind.Uint, 8),
        ["uint8"] = new("uint8", TypeKind.Uint, 1), ["uint16"] = new("uint16", TypeKind.Uint, 2),
        ["uint32"] = new("uint32", TypeKind.Uint, 4), ["uint64"] = new("uint64", TypeKind.Uint, 8),
        ["uintptr"] = new("uintptr", TypeKind.Uint, 8), ["bool"] = new("bool", TypeKind.Bool, 1),
        ["string"] = new("string", TypeKind.String, 16), ["float32"] = new("float32", TypeKind.Float, 4),
        ["float64"] = new("float64", TypeKind.Float, 8), ["unsafe.Pointer"] = new("unsafe.Pointer", TypeKind.Pointer, 8),
        // byte and rune are aliases: DWARF names them uint8 and int32.
        ["byte"] = new("uint8", TypeKind.Uint, 1), ["rune"] = new("int32", TypeKind.Int, 4),
        ["error"] = new("error", TypeKind.Interface, 16), ["any"] = new("interface {}", TypeKind.Interface, 16),
        ["interface{}"] = new("interface {}", TypeKind.Interface, 16),
    };

    /// <summary>Go parameters: all named ("a, b int64, s string") or none ("int64, string").</summary>
    private static List<ParamInfo> GoParams(string inner, bool results)
    {
        var parts = SplitTopLevel(inner);
        var named = parts.Any(p => SplitNameType(p) is not null);
        var result = new List<ParamInfo>();
        if (!named)
        {
            foreach (var p in parts) result.Add(new ParamInfo(results ? $"~r{result.Count}" : "", GoValueType(p), results));
            return result;
        }
        var pending = new List<string>(); // "a, b int64": a waits for the type that follows it
        foreach (var p in parts)
        {
            if (SplitNameType(p) is not var (name, type))
            {
                if (!IsIdentifier(p)) throw Bad($"'{p}' has no parameter name (name all parameters or none)");
                pending.Add(p);
                continue;
            }
            var t = GoValueType(type);
            foreach (var n in pending) result.Add(new ParamInfo(n, t, results));
            pending.Clear();
            result.Add(new ParamInfo(name, t, results));
        }
        if (pending.Count > 0) throw Bad($"'{pending[^1]}' has no type");
        return result;
    }

    /// <summary>"name Type" split at the first space, when the first word is an identifier and a type follows.</summary>
    private static (string Name, string Type)? SplitNameType(string p)
    {
        var space = p.IndexOf(' ');
        if (space < 0) return null;
        var name = p[..space];
        var type = p[(space + 1)..].Trim();
        if (!IsIdentifier(name) || name is "map" or "chan" or "func" or "interface" or "struct") return null;
        return (name, type);
    }

    private static bool IsIdentifier(string s) =>
        s.Length > 0 && (char.IsLetter(s[0]) || s[0] == '_') && s.All(c => char.IsLetterOrDigit(c) || c == '_');

    /// <summary>A parameter's type: anything but a named type by value, whose size only DWARF knows.</summary>
    private static TypeDesc GoValueType(string text)
    {
        var t = GoType(text);
        if (t.Kind == TypeKind.Unknown) throw Bad($"{t.Name} by value has an unknown size (pass a pointer, or use DWARF)");
        return t;
    }

    private static TypeDesc GoType(string text)
    {
        var t = text.Trim();
        if (t.Length == 0) throw Bad("missing type");
        if (GoBasic.TryGetValue(t, out var basic)) return basic;
        if (t.StartsWith("...", StringComparison.Ordinal)) return GoSlice(GoType(t[3..])); // variadic: a slice
        if (t[0] == '*')
        {
            var elem = GoType(t[1..]);
            return new TypeDesc("*" + elem.Name, TypeKind.Pointer, 8) { Elem = elem };
        }
        if (t.StartsWith("[]", StringComparison.Ordinal)) return GoSlice(GoType(t[2..]));
        if (t[0] == '[')
        {
            var close = t.IndexOf(']');
            if (close < 0 || !long.TryParse(t[1..close], out var n) || n < 0) throw Bad($"bad array type '{t}'");
            var elem = GoType(t[(close + 1)..]);
            if (elem.Kind == TypeKind.Unknown) throw Bad($"array of {elem.Name}: element size unknown");
            return new TypeDesc($"[{n}]{elem.Name}", TypeKind.Array, checked((int)(n * elem.Size))) { Elem = elem, Count = n };
        }
        if (t.StartsWith("map[", StringComparison.Ordinal)) { MatchingParen(t, 3); return new TypeDesc(t, TypeKind.Map, 8); }
        if (t.StartsWith("chan ", StringComparison.Ordinal) || t.StartsWith("<-chan ", StringComparison.Ordinal) || t.StartsWith("chan<- ", StringComparison.Ordinal))
            return new TypeDesc(t, TypeKind.Chan, 8);
        if (t.StartsWith("func(", StringComparison.Ordinal)) return new TypeDesc(t, TypeKind.Func, 8);
        if (t.StartsWith("interface{", StringComparison.Ordinal) || t.StartsWith("interface {", StringComparison.Ordinal))
            return new TypeDesc("interface {}", TypeKind.Interface, 16); // non-empty interfaces have the same two words
        if (t.Contains('.') && t.Split('.').All(IsIdentifier))
            // A named type, qualified as DWARF names it (main.Order): only its name is known, so it can stand behind
            // a pointer but not by value. An unqualified unknown name is a typo of a predeclared type.
            return new TypeDesc(t, TypeKind.Unknown, 0);
        throw Bad($"unknown type '{t}'");
    }

    private static TypeDesc GoSlice(TypeDesc elem) => new("[]" + elem.Name, TypeKind.Slice, 24) { Elem = elem };

    // ---- C (ISO C11 §6.7.6 declarators, the subset of parameter declarations without function pointers) ----

    private static readonly Dictionary<string, TypeDesc> CTypedefs = new(StringComparer.Ordinal)
    {
        ["size_t"] = new("size_t", TypeKind.Uint, 8), ["ssize_t"] = new("ssize_t", TypeKind.Int, 8),
        ["intptr_t"] = new("intptr_t", TypeKind.Int, 8), ["uintptr_t"] = new("uintptr_t", TypeKind.Uint, 8),
        ["ptrdiff_t"] = new("ptrdiff_t", TypeKind.Int, 8), ["off_t"] = new("off_t", TypeKind.Int, 8),
        ["pid_t"] = new("pid_t", TypeKind.Int, 4), ["uid_t"] = new("uid_t", TypeKind.Uint, 4), ["gid_t"] = new("gid_t", TypeKind.Uint, 4),
        ["int8_t"] = new("int8_t", TypeKind.Int, 1), ["int16_t"] = new("int16_t", TypeKind.Int, 2),
        ["int32_t"] = new("int32_t", TypeKind.Int, 4), ["int64_t"] = new("int64_t", TypeKind.Int, 8),
        ["uint8_t"] = new("uint8_t", TypeKind.Uint, 1), ["uint16_t"] = new("uint16_t", TypeKind.Uint, 2),
        ["uint32_t"] = new("uint32_t", TypeKind.Uint, 4), ["uint64_t"] = new("uint64_t", TypeKind.Uint, 8),
        ["bool"] = new("_Bool", TypeKind.Bool, 1),
    };

    private static readonly HashSet<string> CKeywords = new(StringComparer.Ordinal)
    {
        "void", "char", "short", "int", "long", "signed", "unsigned", "float", "double", "_Bool", "const", "volatile",
        "restrict", "struct", "union", "enum",
    };

    private static List<ParamInfo> CParams(string inner)
    {
        var result = new List<ParamInfo>();
        if (inner.Trim() is "" or "void") return result;
        foreach (var p in SplitTopLevel(inner))
        {
            if (p == "...") throw Bad("variadic C functions are not supported");
            var (name, type) = CParam(p);
            result.Add(new ParamInfo(name ?? $"arg{result.Count}", type, IsReturn: false));
        }
        return result;
    }

    /// <summary>One C parameter declaration: specifiers, then '*'s (with qualifiers), then an optional name and "[]".</summary>
    private static (string? Name, TypeDesc Type) CParam(string decl)
    {
        var tokens = CTokens(decl);
        var i = 0;
        var specifiers = new List<string>();
        string? tag = null;
        while (i < tokens.Count && tokens[i] != "*")
        {
            var w = tokens[i];
            if (w is "struct" or "union" or "enum")
            {
                if (i + 1 >= tokens.Count || !IsIdentifier(tokens[i + 1])) throw Bad($"'{w}' needs a tag");
                tag = $"{w} {tokens[i + 1]}";
                i += 2;
                continue;
            }
            if (!CKeywords.Contains(w) && (specifiers.Any(s => s is not ("const" or "volatile" or "restrict")) || tag is not null))
                break; // the parameter name
            specifiers.Add(w);
            i++;
        }
        var constBase = specifiers.Contains("const");
        var type = CBase(specifiers.Where(s => s is not ("const" or "volatile" or "restrict")).ToList(), tag, decl);
        if (constBase) type = type with { Name = "const " + type.Name };
        for (; i < tokens.Count && tokens[i] is "*" or "const" or "volatile" or "restrict"; i++)
            if (tokens[i] == "*") type = CPointer(type);
        string? name = null;
        if (i < tokens.Count && IsIdentifier(tokens[i]) && !CKeywords.Contains(tokens[i])) name = tokens[i++];
        if (i < tokens.Count && tokens[i] == "[") // "int a[]" or "int a[4]" is a pointer (C11 §6.7.6.3 ¶7)
        {
            i++;
            while (i < tokens.Count && tokens[i] != "]") i++;
            if (i++ >= tokens.Count) throw Bad("unclosed '['");
            type = CPointer(type);
        }
        if (i < tokens.Count) throw Bad($"unexpected '{tokens[i]}' in '{decl}' (function pointers are not supported)");
        if (type.Size == 0) // void, a struct known by its tag, an unknown typedef
            throw Bad($"'{decl}': a {type.Name} by value has an unknown size (pass a pointer, or use DWARF)");
        return (name, type);
    }

    private static TypeDesc CPointer(TypeDesc elem) => new(elem.Name + "*", TypeKind.Pointer, 8) { Elem = elem };

    private static List<string> CTokens(string decl)
    {
        var tokens = new List<string>();
        for (var i = 0; i < decl.Length;)
        {
            var c = decl[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c is '*' or '[' or ']') { tokens.Add(c.ToString()); i++; continue; }
            var start = i;
            while (i < decl.Length && (char.IsLetterOrDigit(decl[i]) || decl[i] == '_')) i++;
            if (i == start) throw Bad($"unexpected '{c}'");
            tokens.Add(decl[start..i]);
        }
        return tokens;
    }

    /// <summary>The type the specifiers name, spelled as gcc's DWARF spells base types (DW_TAG_base_type DW_AT_name).</summary>
    private static TypeDesc CBase(List<string> s, string? tag, string decl)
    {
        if (tag is not null)
        {
            if (s.Count > 0) throw Bad($"'{decl}': '{string.Join(' ', s)}' with '{tag}'");
            // An enum is an int (psABI §3.1.2); a struct or union is known only by its tag, so only behind a pointer.
            return tag.StartsWith("enum ", StringComparison.Ordinal) ? new TypeDesc(tag[5..], TypeKind.Int, 4) : new TypeDesc(tag, TypeKind.Struct, 0);
        }
        if (s.Count == 1 && CTypedefs.TryGetValue(s[0], out var td)) return td;
        if (s.Count == 1 && !CKeywords.Contains(s[0])) return new TypeDesc(s[0], TypeKind.Unknown, 0); // another typedef
        var longs = s.Count(w => w == "long");
        var unsigned = s.Contains("unsigned");
        var signed = s.Contains("signed");
        var shorts = s.Count(w => w == "short");
        var rest = s.Where(w => w is not ("long" or "unsigned" or "signed" or "short")).ToList();
        if (rest.Count > 1 || longs > 2 || shorts > 1 || (shorts == 1 && (longs > 0 || rest.Any(w => w != "int"))) || (unsigned && signed) || rest.Any(w => !CKeywords.Contains(w)))
            throw Bad($"'{string.Join(' ', s)}' is not a C type Calltape knows");
        var core = rest.FirstOrDefault();
        return (core, longs) switch
        {
            ("void", 0) when !unsigned && !signed => new TypeDesc("void", TypeKind.Unknown, 0),
            ("char", 0) when shorts == 0 => unsigned ? new("unsigned char", TypeKind.Uint, 1) : signed ? new("signed char", TypeKind.Int, 1) : new("char", TypeKind.Int, 1),
            ("int", 0) or (null, 0) when shorts == 1 => unsigned ? new("short unsigned int", TypeKind.Uint, 2) : new("short int", TypeKind.Int, 2),
            ("int", 0) or (null, 0) => unsigned ? new("unsigned int", TypeKind.Uint, 4) : new("int", TypeKind.Int, 4),
            ("int", 1) or (null, 1) => unsigned ? new("long unsigned int", TypeKind.Uint, 8) : new("long int", TypeKind.Int, 8),
            ("int", 2) or (null, 2) => unsigned ? new("long long unsigned int", TypeKind.Uint, 8) : new("long long int", TypeKind.Int, 8),
            ("_Bool", 0) when !unsigned && !signed => new TypeDesc("_Bool", TypeKind.Bool, 1),
            ("float", 0) when !unsigned && !signed => new TypeDesc("float", TypeKind.Float, 4),
            ("double", 0) when !unsigned && !signed => new TypeDesc("double", TypeKind.Float, 8),
            _ => throw Bad($"'{string.Join(' ', s)}' is not supported in a signature"),
        };
    }
}
