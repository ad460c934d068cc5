namespace Calltape.Symbols;

/// <summary>A demangled C++ type, rendered with C declarator syntax the way c++filt prints it ("char const*", "void (*)(int)").</summary>
internal abstract record CxxType
{
    public static CxxType Named(string name) => new NamedType(name);
    public static CxxType Function(CxxType ret, IReadOnlyList<CxxType> ps) => new FunctionType(ret, ps);
    public static CxxType Array(CxxType elem, string count) => new ArrayType(elem, count);

    /// <summary>A pointer, lvalue or rvalue reference to this type.</summary>
    public CxxType Derived(string op) => new DerivedType(this, op);

    /// <summary>This type with cv-qualifiers (" const", " volatile").</summary>
    public CxxType Qualified(string quals) => new QualifiedType(this, quals);

    /// <summary>The type alone, as it appears in a parameter list.</summary>
    public string Render() => Render("");

    /// <summary>The type around a declarator (what would be the variable's name: "*", "(*)").</summary>
    public abstract string Render(string declarator);

    private sealed record NamedType(string Name) : CxxType
    {
        public override string Render(string declarator) => Name + Space(declarator);
    }

    private sealed record QualifiedType(CxxType Inner, string Quals) : CxxType
    {
        public override string Render(string declarator) => Inner switch
        {
            // A qualified function or array type puts the qualifier by the declarator.
            FunctionType or ArrayType => Inner.Render(Quals.TrimStart() + declarator),
            _ => Inner.Render("") + Quals + declarator,
        };
    }

    private sealed record DerivedType(CxxType Inner, string Op) : CxxType
    {
        public override string Render(string declarator) => Inner switch
        {
            FunctionType or ArrayType => Inner.Render("(" + Op + declarator + ")"),
            _ => Inner.Render(Op + declarator),
        };
    }

    private sealed record FunctionType(CxxType Ret, IReadOnlyList<CxxType> Params) : CxxType
    {
        public override string Render(string declarator)
        {
            var ps = Params.Select(p => p.Render()).ToList();
            var list = ps.Count == 1 && ps[0] == "void" ? "" : string.Join(", ", ps);
            return Ret.Render("") + " " + declarator + "(" + list + ")";
        }
    }

    private sealed record ArrayType(CxxType Elem, string Count) : CxxType
    {
        public override string Render(string declarator) =>
            Elem.Render("") + " " + (declarator.Length == 0 ? "" : declarator + " ") + "[" + Count + "]";
    }

    /// <summary>c++filt writes "int*", "int&amp;" but "int (*)(...)" and "int const".</summary>
    private static string Space(string declarator) =>
        declarator.Length == 0 ? "" : declarator[0] is '*' or '&' ? declarator : " " + declarator;
}
