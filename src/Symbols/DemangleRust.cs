using System.Globalization;
using System.Text;

namespace Calltape.Symbols;

/// <summary>Rust's legacy mangling: an Itanium-style nested name whose last component is the hash "h" + 16 hex digits.</summary>
/// <remarks>
/// Source: rustc_symbol_mangling/src/legacy.rs (what rustc ≤ 1.x emits by default) and rustc-demangle's legacy.rs
/// (the reader). Components are joined with "::", the hash component is dropped, "$LT$"-style escapes and ".." are
/// decoded, and an LLVM ".llvm.NNN" suffix (ThinLTO promotion) is ignored.
/// </remarks>
internal static class DemangleRustLegacy
{
    private static readonly Dictionary<string, string> Escapes = new(StringComparer.Ordinal)
    {
        ["SP"] = "@", ["BP"] = "*", ["RF"] = "&", ["LT"] = "<", ["GT"] = ">", ["LP"] = "(", ["RP"] = ")", ["C"] = ",",
    };

    /// <summary>The path without its hash, or null when the symbol is not a legacy Rust name.</summary>
    public static string? TryDemangle(string symbol)
    {
        var s = symbol;
        var llvm = s.IndexOf(".llvm.", StringComparison.Ordinal);
        if (llvm >= 0) s = s[..llvm];
        if (!s.StartsWith("_ZN", StringComparison.Ordinal) || !s.EndsWith('E')) return null;
        var parts = new List<string>();
        var p = 3;
        while (p < s.Length - 1)
        {
            if (!char.IsAsciiDigit(s[p])) return null;
            var len = 0;
            while (p < s.Length && char.IsAsciiDigit(s[p])) len = len * 10 + (s[p++] - '0');
            if (len == 0 || len > s.Length - 1 - p) return null;
            parts.Add(s.Substring(p, len));
            p += len;
        }
        if (parts.Count < 2 || !IsHash(parts[^1])) return null;
        var sb = new StringBuilder();
        for (var i = 0; i < parts.Count - 1; i++)
        {
            if (i > 0) sb.Append("::");
            if (!Unescape(parts[i], sb)) return null;
        }
        return sb.ToString();
    }

    /// <summary>"h" followed by 16 lowercase hex digits (rustc's symbol hash).</summary>
    private static bool IsHash(string part) =>
        part.Length == 17 && part[0] == 'h' && part.AsSpan(1).IndexOfAnyExcept("0123456789abcdef") < 0;

    private static bool Unescape(string part, StringBuilder sb)
    {
        var s = part.StartsWith("_$", StringComparison.Ordinal) ? part[1..] : part;
        for (var i = 0; i < s.Length;)
        {
            if (s[i] == '.')
            {
                if (i + 1 < s.Length && s[i + 1] == '.')
                {
                    sb.Append("::");
                    i += 2;
                }
                else
                {
                    sb.Append('.');
                    i++;
                }
                continue;
            }
            if (s[i] != '$')
            {
                sb.Append(s[i++]);
                continue;
            }
            var end = s.IndexOf('$', i + 1);
            if (end < 0) return false;
            var code = s[(i + 1)..end];
            if (Escapes.TryGetValue(code, out var text)) sb.Append(text);
            else if (code.Length > 1 && code[0] == 'u' && uint.TryParse(code.AsSpan(1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var cp)
                     && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF))
                sb.Append(char.ConvertFromUtf32((int)cp));
            else return false;
            i = end + 1;
        }
        return true;
    }
}
