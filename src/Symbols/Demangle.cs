namespace Calltape.Symbols;

/// <summary>Turns mangled C++ (Itanium ABI) and Rust (legacy and v0) symbol names into source names.</summary>
/// <remarks>
/// A compact subset, not a full demangler: nested names, template arguments, builtin, pointer, reference, const and
/// function-pointer types, substitutions and the std:: abbreviations. C++ output follows GNU c++filt's spelling
/// (binutils' cp-demangle) so names match what users see elsewhere; Rust output is rustc-demangle's "alternate" form,
/// without the trailing hash (legacy "::h0123…") or crate disambiguators (v0 "[abcd]"). Anything outside the subset is
/// returned unchanged: a mangled name is better than a wrong one.
/// </remarks>
public static class Demangler
{
    /// <summary>The demangled name, or the input itself when it is not mangled or uses something outside the subset.</summary>
    public static string Demangle(string symbol)
    {
        if (symbol.Length < 3) return symbol;
        if (symbol.StartsWith("_R", StringComparison.Ordinal))
            return DemangleRustV0.TryDemangle(symbol) ?? symbol;
        if (!symbol.StartsWith("_Z", StringComparison.Ordinal)) return symbol;
        return DemangleRustLegacy.TryDemangle(symbol) ?? DemangleItanium.TryDemangle(symbol) ?? symbol;
    }

    /// <summary>What a parser throws on a name outside the grammar it knows: the name then stays mangled.</summary>
    internal static bool IsMalformed(Exception e) =>
        e is FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException;

    /// <summary>True when the symbol looks mangled (C++ or Rust), so demangling it may change it.</summary>
    public static bool IsMangled(string symbol) =>
        symbol.StartsWith("_Z", StringComparison.Ordinal) || symbol.StartsWith("_R", StringComparison.Ordinal);

    /// <summary>
    /// The name without its parameter list, return type and qualifiers: "calc::add(int, int)" gives "calc::add",
    /// "int calc::twice&lt;int&gt;(int)" gives "calc::twice&lt;int&gt;". Rust names have no parameter list and stay as they are.
    /// </summary>
    public static string ShortName(string demangled)
    {
        var end = ParameterListStart(demangled);
        if (end < 0) return demangled;
        // A return type is separated from the name by the last space outside template brackets before the '('.
        int depth = 0, start = 0;
        for (var i = end - 1; i >= 0; i--)
        {
            var c = demangled[i];
            if (c is '>' or ')') depth++;
            else if (c is '<' or '(') depth--;
            else if (c == ' ' && depth == 0)
            {
                start = i + 1;
                break;
            }
        }
        return demangled[start..end];
    }

    /// <summary>The index of the '(' opening the outermost function parameter list, or -1.</summary>
    private static int ParameterListStart(string s)
    {
        var depth = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '<') depth++;
            else if (c == '>') depth--;
            else if (c == '(' && depth == 0)
            {
                // "(anonymous namespace)" and "{lambda(...)#1}" are parts of names, not parameter lists.
                if (string.CompareOrdinal(s, i, "(anonymous namespace)", 0, 21) == 0) { i += 20; continue; }
                if (i > 0 && s[i - 1] == 'a' && s.AsSpan(0, i).EndsWith("{lambda")) { i = SkipPast(s, i, '}'); continue; }
                return i;
            }
        }
        return -1;
    }

    private static int SkipPast(string s, int i, char close)
    {
        var j = s.IndexOf(close, i);
        return j < 0 ? s.Length : j;
    }
}
