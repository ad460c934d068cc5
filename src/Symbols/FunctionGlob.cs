namespace Calltape.Symbols;

/// <summary>Shell-style patterns over function names for -p: '*' matches any run of characters, '?' exactly one.</summary>
/// <remarks>
/// Go names contain '*' themselves ("main.(*T).M"); a name that exists exactly is never read as a pattern, and as a
/// pattern '*' still matches a literal '*', so "net/http.(*conn).*" selects the methods of *conn.
/// </remarks>
public static class FunctionGlob
{
    /// <summary>True when the text has a wildcard.</summary>
    public static bool IsPattern(string text) => text.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>The functions whose names match, one per address (the first name wins), in address order.</summary>
    public static IReadOnlyList<FunctionSymbol> Match(IReadOnlyList<FunctionSymbol> functions, string pattern)
    {
        var seen = new HashSet<ulong>();
        var result = new List<FunctionSymbol>();
        foreach (var f in functions)
            if (Matches(pattern, f.Name) && seen.Add(f.Address)) result.Add(f);
        return result;
    }

    /// <summary>Whole-string match; greedy with one backtrack point per '*', so linear in practice (O(n·m) at worst).</summary>
    public static bool Matches(string pattern, string name)
    {
        int p = 0, n = 0, starP = -1, starN = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || (pattern[p] != '*' && pattern[p] == name[n])))
            {
                p++;
                n++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starN = n;
            }
            else if (starP >= 0)
            {
                // Let the last '*' swallow one more character and retry from there.
                p = starP + 1;
                n = ++starN;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
