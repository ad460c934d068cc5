namespace Calltape.Symbols;

/// <summary>
/// Finds a binary's functions by their demangled names, so -p takes "Shop::total", "fixture::add" or "Shop::*" as
/// well as the mangled symbol. Built once per binary, only when a name is not an exact symbol.
/// </summary>
public sealed class DemangleIndex
{
    private readonly List<(FunctionSymbol Symbol, string Full, string Short)> _entries = [];

    /// <summary>Demangles every mangled function symbol of the list (names that are not mangled are left out).</summary>
    public DemangleIndex(IReadOnlyList<FunctionSymbol> functions)
    {
        foreach (var f in functions)
        {
            if (!Demangler.IsMangled(f.Name)) continue;
            var full = Demangler.Demangle(f.Name);
            if (full == f.Name) continue;
            _entries.Add((f, full, Demangler.ShortName(full)));
        }
    }

    /// <summary>
    /// Functions whose demangled name equals the text, or whose name without parameters does ("calc::add" selects
    /// every overload); one per address, in address order.
    /// </summary>
    public IReadOnlyList<FunctionSymbol> Exact(string name) =>
        Select(e => e.Full == name || e.Short == name);

    /// <summary>Functions whose demangled name, with or without parameters, matches a <see cref="FunctionGlob"/> pattern.</summary>
    public IReadOnlyList<FunctionSymbol> Glob(string pattern) =>
        Select(e => FunctionGlob.Matches(pattern, e.Full) || FunctionGlob.Matches(pattern, e.Short));

    /// <summary>The demangled names (without parameters) closest to a name that was not found, best first.</summary>
    public IReadOnlyList<string> SuggestNames(string name, int max = 5) => NameSuggester.Suggest(_entries.Select(e => e.Short), name, max);

    private List<FunctionSymbol> Select(Func<(FunctionSymbol Symbol, string Full, string Short), bool> pick)
    {
        var seen = new HashSet<ulong>();
        return _entries.Where(pick).Select(e => e.Symbol).Where(s => seen.Add(s.Address)).OrderBy(s => s.Address).ToList();
    }

    /// <summary>The name a capture shows for a symbol: demangled when it is a C++ or Rust name, else the symbol itself.</summary>
    public static string DisplayName(string symbol) => Demangler.IsMangled(symbol) ? Demangler.Demangle(symbol) : symbol;
}
