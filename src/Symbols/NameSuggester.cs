namespace Calltape.Symbols;

/// <summary>Ranks candidate names by closeness to a misspelled one, for "no such function" messages.</summary>
internal static class NameSuggester
{
    public static IReadOnlyList<string> Suggest(IEnumerable<string> candidates, string name, int max)
    {
        if (max <= 0 || name.Length == 0) return [];
        // A name containing the query (or the query's last component, e.g. "computeE" for "main.computeE")
        // ranks first; otherwise Levenshtein distance, capped so unrelated names are not offered.
        var tail = name[(name.LastIndexOf('.') + 1)..];
        var limit = Math.Max(2, name.Length / 3);
        var scored = new List<(int Score, string Name)>();
        foreach (var c in candidates.Distinct(StringComparer.Ordinal))
        {
            int score;
            if (c.Contains(name, StringComparison.OrdinalIgnoreCase)) score = 0;
            else if (tail.Length >= 3 && c.Contains(tail, StringComparison.OrdinalIgnoreCase)) score = 1;
            else
            {
                var d = Distance(c, name, limit);
                if (d > limit) continue;
                score = 1 + d;
            }
            scored.Add((score, c));
        }
        return scored.OrderBy(s => s.Score).ThenBy(s => s.Name.Length).ThenBy(s => s.Name, StringComparer.Ordinal)
            .Take(max).Select(s => s.Name).ToArray();
    }

    /// <summary>Case-insensitive Levenshtein distance; returns limit+1 early once every row exceeds the limit.</summary>
    private static int Distance(string a, string b, int limit)
    {
        if (Math.Abs(a.Length - b.Length) > limit) return limit + 1;
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            var rowMin = cur[0];
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                cur[j] = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
                rowMin = Math.Min(rowMin, cur[j]);
            }
            if (rowMin > limit) return limit + 1;
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
