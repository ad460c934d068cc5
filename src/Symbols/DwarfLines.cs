using System.Buffers.Binary;
using System.Text;

namespace Calltape.Symbols;

/// <summary>The address-to-file:line map of .debug_line (DWARF 2-5 line number programs), for symbolizing C/C++/Rust frames.</summary>
/// <remarks>
/// Follows DWARF 5 section 6.2 (and DWARF 4 6.2 for the header's include_directories/file_names lists): each unit's
/// header, then its program run on the state machine (address, file, line); special opcodes add
/// (adjusted / line_range) * minimum_instruction_length to the address and line_base + adjusted % line_range to the
/// line. Rows of every sequence are kept sorted by address; a PC maps to the last row at or below it in the same
/// sequence. Columns, is_stmt and discriminators are not needed and ignored.
/// </remarks>
public sealed class DwarfLines
{
    private readonly ulong[] _addr;
    private readonly int[] _line;
    private readonly string?[] _file;
    private readonly bool[] _end;
    private readonly Dictionary<ulong, List<string?>> _unitFiles;

    private DwarfLines(List<(ulong Addr, int Line, string? File, bool End)> rows, Dictionary<ulong, List<string?>> unitFiles)
    {
        _unitFiles = unitFiles;
        // By address, an end_sequence row before a row that starts the next sequence at the same address, and otherwise
        // in program order: optimized code has several rows at one address (views), and the last one is the line of the
        // instruction there (addr2line reads it so). List.Sort is not stable, hence the index as the last key.
        var order = Enumerable.Range(0, rows.Count).ToArray();
        Array.Sort(order, (x, y) =>
        {
            var (a, b) = (rows[x], rows[y]);
            if (a.Addr != b.Addr) return a.Addr.CompareTo(b.Addr);
            return a.End != b.End ? b.End.CompareTo(a.End) : x.CompareTo(y);
        });
        _addr = order.Select(i => rows[i].Addr).ToArray();
        _line = order.Select(i => rows[i].Line).ToArray();
        _file = order.Select(i => rows[i].File).ToArray();
        _end = order.Select(i => rows[i].End).ToArray();
    }

    /// <summary>Rows read (for tests).</summary>
    public int Count => _addr.Length;

    /// <summary>Parses a whole .debug_line section; units it cannot read are skipped, never guessed.</summary>
    /// <param name="lineStr">.debug_line_str (DW_FORM_line_strp), or null.</param>
    /// <param name="str">.debug_str (DW_FORM_strp), or null.</param>
    public static DwarfLines Parse(byte[] section, byte[]? lineStr, byte[]? str)
    {
        var rows = new List<(ulong, int, string?, bool)>();
        var unitFiles = new Dictionary<ulong, List<string?>>();
        var at = 0;
        while (at + 4 <= section.Length)
        {
            var r = new Dwarf.DwarfCursor(section, ".debug_line") { Position = at };
            ulong unitLength = r.U32();
            var offsetSize = 4;
            if (unitLength == 0xffffffff) { unitLength = r.U64(); offsetSize = 8; }
            var end = r.Position + (long)unitLength;
            if (unitLength == 0 || end > section.Length) break;
            try
            {
                unitFiles[(ulong)at] = ParseUnit(new Dwarf.DwarfCursor(section, ".debug_line", (int)end) { Position = r.Position }, offsetSize,
                    lineStr, str, rows);
            }
            catch (InvalidDataException)
            {
                // A truncated or unknown unit: its rows so far stay, the rest is skipped.
            }
            at = (int)end;
        }
        return new DwarfLines(rows, unitFiles);
    }

    /// <summary>File <paramref name="index"/> of the line table at <paramref name="stmtList"/> (a unit's DW_AT_stmt_list), as
    /// DW_AT_call_file numbers it: from 1 before DWARF 5, from 0 since (§6.2.4); null when there is no such file.</summary>
    public string? FileName(ulong stmtList, long index) =>
        _unitFiles.TryGetValue(stmtList, out var files) && index >= 0 && index < files.Count ? files[(int)index] : null;

    /// <summary>The file and line of a code address, or null outside every sequence.</summary>
    public (string? File, int Line)? Lookup(ulong pc)
    {
        var i = Array.BinarySearch(_addr, pc);
        if (i < 0) i = ~i - 1;
        else while (i + 1 < _addr.Length && _addr[i + 1] == pc && !_end[i + 1]) i++;
        if (i < 0 || _end[i] || i + 1 >= _addr.Length) return null;
        return (_file[i], _line[i]);
    }

    /// <returns>The unit's file names, indexed as its file numbers are (the list grows with DW_LNE_define_file).</returns>
    private static List<string?> ParseUnit(Dwarf.DwarfCursor r, int offsetSize, byte[]? lineStr, byte[]? str, List<(ulong, int, string?, bool)> rows)
    {
        var files = new List<string?>();
        var version = r.U16();
        if (version is < 2 or > 5) return files;
        if (version >= 5) { r.U8(); r.U8(); } // address_size, segment_selector_size
        var headerLength = offsetSize == 8 ? (long)r.U64() : r.U32();
        var programStart = r.Position + headerLength;
        var minInst = r.U8();
        if (version >= 4) r.U8(); // maximum_operations_per_instruction (VLIW only)
        r.U8(); // default_is_stmt
        var lineBase = (sbyte)r.U8();
        var lineRange = r.U8();
        var opcodeBase = r.U8();
        var stdLengths = new byte[Math.Max(0, opcodeBase - 1)];
        for (var i = 0; i < stdLengths.Length; i++) stdLengths[i] = r.U8();
        if (lineRange == 0) return files;

        var dirs = new List<string>();
        if (version >= 5)
        {
            foreach (var e in Entries(r, offsetSize, lineStr, str)) dirs.Add(e.Path ?? "");
            foreach (var e in Entries(r, offsetSize, lineStr, str)) files.Add(Join(dirs, e.Dir, e.Path));
        }
        else
        {
            dirs.Add(""); // index 0: the compilation directory, not named here
            for (var d = r.InlineString(); d.Length > 0; d = r.InlineString()) dirs.Add(d);
            files.Add(null); // file numbers are 1-based before DWARF 5
            for (var f = r.InlineString(); f.Length > 0; f = r.InlineString())
            {
                var dir = (int)r.Uleb(); r.Uleb(); r.Uleb();
                files.Add(Join(dirs, dir, f));
            }
        }

        r.Position = (int)programStart;
        ulong address = 0;
        int file = 1, line = 1;
        string? FileName() => file >= 0 && file < files.Count ? files[file] : null;
        void Row(bool end) => rows.Add((address, line, FileName(), end));
        void Reset() { address = 0; file = 1; line = 1; }
        while (r.Position < r.End)
        {
            var op = r.U8();
            if (op >= opcodeBase)
            {
                var adj = op - opcodeBase;
                address += (ulong)(adj / lineRange * minInst);
                line += lineBase + adj % lineRange;
                Row(false);
                continue;
            }
            switch (op)
            {
                case 0:
                    var len = (int)r.Uleb();
                    var next = r.Position + len;
                    if (len == 0) break;
                    switch (r.U8())
                    {
                        case 1: Row(true); Reset(); break;       // DW_LNE_end_sequence
                        case 2: address = r.U64(); break;        // DW_LNE_set_address (8-byte addresses: x86-64)
                        case 3:                                  // DW_LNE_define_file (DWARF 2-4)
                            var name = r.InlineString(); var dir = (int)r.Uleb(); r.Uleb(); r.Uleb();
                            files.Add(Join(dirs, dir, name));
                            break;
                    }
                    r.Position = next;
                    break;
                case 1: Row(false); break;                                   // DW_LNS_copy
                case 2: address += r.Uleb() * minInst; break;                // DW_LNS_advance_pc
                case 3: line += (int)r.Sleb(); break;                        // DW_LNS_advance_line
                case 4: file = (int)r.Uleb(); break;                         // DW_LNS_set_file
                case 8: address += (ulong)((255 - opcodeBase) / lineRange * minInst); break; // DW_LNS_const_add_pc
                case 9: address += r.U16(); break;                           // DW_LNS_fixed_advance_pc
                default:
                    for (var k = 0; k < stdLengths[op - 1]; k++) r.Uleb();  // column, negate_stmt, …: operands skipped
                    break;
            }
        }
        return files;
    }

    /// <summary>A DWARF 5 directory or file name table: (DW_LNCT_path, DW_LNCT_directory_index) per entry.</summary>
    private static List<(string? Path, int Dir)> Entries(Dwarf.DwarfCursor r, int offsetSize, byte[]? lineStr, byte[]? str)
    {
        var formatCount = r.U8();
        var formats = new (ulong Type, ulong Form)[formatCount];
        for (var i = 0; i < formatCount; i++) formats[i] = (r.Uleb(), r.Uleb());
        var count = (int)r.Uleb();
        var result = new List<(string?, int)>(count);
        for (var i = 0; i < count; i++)
        {
            string? path = null;
            var dir = 0;
            foreach (var (type, form) in formats)
            {
                var (s, n) = Form(r, form, offsetSize, lineStr, str);
                if (type == 1) path = s;       // DW_LNCT_path
                else if (type == 2) dir = (int)n; // DW_LNCT_directory_index
            }
            result.Add((path, dir));
        }
        return result;
    }

    /// <summary>Reads one attribute value of the forms line tables use (DWARF 5 7.5.6); a string or a number.</summary>
    private static (string? S, ulong N) Form(Dwarf.DwarfCursor r, ulong form, int offsetSize, byte[]? lineStr, byte[]? str)
    {
        switch (form)
        {
            case 0x08: return (r.InlineString(), 0);                                            // DW_FORM_string
            case 0x1f: return (StrAt(lineStr, offsetSize == 8 ? r.U64() : r.U32()), 0);    // DW_FORM_line_strp
            case 0x0e: return (StrAt(str, offsetSize == 8 ? r.U64() : r.U32()), 0);        // DW_FORM_strp
            case 0x0f: return (null, r.Uleb());                                            // DW_FORM_udata
            case 0x0b: return (null, r.U8());                                              // DW_FORM_data1
            case 0x05: return (null, r.U16());                                             // DW_FORM_data2
            case 0x06: return (null, r.U32());                                             // DW_FORM_data4
            case 0x07: return (null, r.U64());                                             // DW_FORM_data8
            case 0x1e: r.Position += 16; return (null, 0);                                      // DW_FORM_data16 (MD5)
            case 0x09: r.Position += (int)r.Uleb(); return (null, 0);                           // DW_FORM_block
            default: throw r.Bad($"line table form 0x{form:x}"); // unknown: give up on the unit
        }
    }

    private static string? StrAt(byte[]? s, ulong off)
    {
        if (s is null || off >= (ulong)s.Length) return null;
        var span = s.AsSpan((int)off);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }

    private static string? Join(List<string> dirs, int dir, string? name)
    {
        if (name is null) return null;
        if (name.StartsWith('/') || dir < 0 || dir >= dirs.Count || dirs[dir].Length == 0) return name;
        var d = dirs[dir];
        // DWARF 5 §6.2.4: directory 0 is the compilation directory and the others may be relative to it (clang writes
        // "tests/fixtures/c"); before DWARF 5 index 0 is the unnamed compilation directory, so dirs[0] is "" there.
        if (!d.StartsWith('/') && dir > 0 && dirs[0].Length > 0) d = dirs[0].TrimEnd('/') + "/" + d;
        return d.TrimEnd('/') + "/" + name;
    }
}
