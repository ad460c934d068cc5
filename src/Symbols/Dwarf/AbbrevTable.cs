namespace Calltape.Symbols.Dwarf;

/// <summary>One attribute specification of an abbreviation; ImplicitConst holds DW_FORM_implicit_const's value.</summary>
internal readonly record struct AttrSpec(ushort Name, ushort Form, long ImplicitConst);

/// <summary>One abbreviation: the tag, whether DIEs using it have children, and their attribute layout.</summary>
internal sealed record Abbrev(ushort Tag, bool HasChildren, AttrSpec[] Attrs);

/// <summary>An abbreviation table from .debug_abbrev (DWARF 5 §7.5.3), keyed by abbreviation code.</summary>
internal sealed class AbbrevTable
{
    private readonly Dictionary<ulong, Abbrev> _byCode = new();

    public Abbrev Get(ulong code, DwarfCursor where) =>
        _byCode.TryGetValue(code, out var a) ? a : throw where.Bad($"unknown abbreviation code {code}");

    public static AbbrevTable Parse(byte[] section, ulong offset)
    {
        var table = new AbbrevTable();
        var c = new DwarfCursor(section, ".debug_abbrev") { Position = checked((int)offset) };
        while (true)
        {
            var code = c.Uleb();
            if (code == 0) return table; // a zero code ends the table
            var tag = (ushort)c.Uleb();
            var hasChildren = c.U8() != 0;
            var attrs = new List<AttrSpec>();
            while (true)
            {
                var name = (ushort)c.Uleb();
                var form = (ushort)c.Uleb();
                if (name == 0 && form == 0) break;
                var implicitConst = form == DwForm.ImplicitConst ? c.Sleb() : 0;
                attrs.Add(new AttrSpec(name, form, implicitConst));
            }
            table._byCode[code] = new Abbrev(tag, hasChildren, attrs.ToArray());
        }
    }
}
