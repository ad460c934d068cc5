using System.Text;
using Calltape.Analyzer.Conversion;
using Calltape.Capture.Decoding;
using Calltape.Capture.Model;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>The converter writes args JSON and string cells without ValueDecoder; the text must stay identical to its.</summary>
public class ArgsJsonTests
{
    private static readonly TypeDesc I64 = new("int64", TypeKind.Int, 8);
    private static readonly TypeDesc U64 = new("uint64", TypeKind.Uint, 8);
    private static readonly TypeDesc Bool = new("bool", TypeKind.Bool, 1);
    private static readonly TypeDesc Str = new("string", TypeKind.String, 16);

    private static ProbeSpec Probe(params (string Name, TypeDesc Type)[] ps) =>
        new(1, "f", 0, 0, 0, 0, AbiKind.GoRegs, new CapturePlan([Reg.Rax], 0, []),
            ps.Select(p => new ParamSpec(p.Name, p.Type, [Source.Of(Reg.Rax)])).ToArray());

    /// <summary>Writes values the way CallEmitter does: scalars and strings directly, the rest through the slow path.</summary>
    private static string Build(ProbeSpec probe, DecodedValue[] values)
    {
        var json = new ArgsJson();
        json.Begin();
        for (var i = 0; i < values.Length; i++)
        {
            var name = ArgsJson.Name(probe.Params[i].Name);
            switch (values[i].Value)
            {
                case long l: json.Scalar(name, ColumnKind.Int64, (ulong)l); break;
                case ulong u: json.Scalar(name, ColumnKind.UInt64, u); break;
                case bool b: json.Scalar(name, ColumnKind.Bool, b ? 1UL : 0UL); break;
                case string s: json.String(name, s); break;
                default: json.Decoded(name, values[i]); break;
            }
        }
        return json.End().ToString();
    }

    [Fact]
    public void Every_char_in_a_string_is_escaped_exactly_as_value_decoder_escapes_it()
    {
        var probe = Probe(("a", Str), ("b", Str));
        var chars = Enumerable.Range(0, 0x800).Select(c => (char)c).Concat(['\u2028', '\u2029', '\ud83d', '\ude00', '\ufeff', '\ufffd']);
        foreach (var c in chars)
        {
            DecodedValue[] values = [new(c.ToString(), null), new($"x{c}y<{c}>&'\"+`\\", null)];
            Assert.Equal(ValueDecoder.ToJson(probe, values), Build(probe, values));
        }
        DecodedValue[] emoji = [new("smile \ud83d\ude00 and café", null), new("", null)];
        Assert.Equal(ValueDecoder.ToJson(probe, emoji), Build(probe, emoji));
    }

    [Fact]
    public void Scalars_names_and_slow_path_values_match_value_decoder()
    {
        var probe = Probe(("i", I64), ("u", U64), ("ok", Bool), ("we\"ird<é>", I64), ("s", Str), ("gone", Str), ("f", I64));
        foreach (var (l, u) in new[] { (0L, 0UL), (-1L, 1UL), (long.MinValue, ulong.MaxValue), (long.MaxValue, 10UL), (-987654321L, 4294967296UL) })
        {
            DecodedValue[] values =
            [
                new(l, null), new(u, null), new(l < 0, null), new(l, null), new("plain", null),
                DecodedValue.Missing("truncated at 3 of 9 bytes", "a\"\u00e9"), new(1.5, null),
            ];
            Assert.Equal(ValueDecoder.ToJson(probe, values), Build(probe, values));
        }
        Assert.Equal("{}", Build(Probe(), []));
    }

    [Fact]
    public void Objects_written_into_one_row_groups_text_keep_their_text_across_blocks_and_huge_cells()
    {
        // CallEmitter writes every row's JSON straight into the calls row group's TextBuffer: an object that outgrows
        // its block moves, and no later object may overwrite an earlier one.
        var probe = Probe(("s", Str), ("i", I64));
        var text = new TextBuffer();
        var json = new ArgsJson();
        var rng = new Random(3);
        var cells = new List<(ReadOnlyMemory<char> Cell, string Expected)>();
        for (var n = 0; n < 400; n++)
        {
            var len = rng.Next(8) switch { 0 => rng.Next(60_000, 200_000), 1 => rng.Next(1_000, 20_000), _ => rng.Next(0, 300) };
            var s = new string((char)('a' + n % 26), len) + (n % 5 == 0 ? "\"\u00e9\n" : "");
            DecodedValue[] values = [new(s, null), new((long)n * -7919, null)];
            json.Begin(text);
            json.String(ArgsJson.Name("s"), s);
            json.Scalar(ArgsJson.Name("i"), ColumnKind.Int64, (ulong)((long)n * -7919));
            cells.Add((json.End(), ValueDecoder.ToJson(probe, values)));
        }
        foreach (var (cell, expected) in cells) Assert.Equal(expected, cell.ToString());
    }

    [Fact]
    public void Integers_at_every_digit_count_and_both_ends_match_value_decoder()
    {
        var probe = Probe(("i", I64), ("u", U64));
        var rng = new Random(7);
        var longs = new List<long> { long.MinValue, long.MinValue + 1, long.MaxValue, -10, -9, 9, 10 };
        var ulongs = new List<ulong> { ulong.MaxValue, ulong.MaxValue - 1, (ulong)long.MaxValue + 1 };
        for (var p = 1UL; p < ulong.MaxValue / 10; p *= 10)
        {
            ulongs.AddRange([p - 1, p, p + 1, p * 9 + p - 1]);
            if (p < long.MaxValue / 10) longs.AddRange([(long)p - 1, (long)p, -(long)p, -(long)p + 1, -(long)p - 1]);
        }
        for (var i = 0; i < 1000; i++)
        {
            longs.Add(rng.NextInt64(long.MinValue, long.MaxValue));
            ulongs.Add((ulong)rng.NextInt64() * 2 + (ulong)rng.Next(2));
        }
        foreach (var (l, u) in longs.Zip(ulongs))
        {
            DecodedValue[] values = [new(l, null), new(u, null)];
            Assert.Equal(ValueDecoder.ToJson(probe, values), Build(probe, values));
        }
    }

    [Fact]
    public void String_cells_decode_utf8_like_value_decoder_including_invalid_bytes()
    {
        var p = new ParamSpec("s", Str, [Source.Of(Reg.Rbx), Source.Of(Reg.Rcx)], Deref: 0);
        var probe = new ProbeSpec(1, "f", 0, 0, 0, 0, AbiKind.GoRegs,
            new CapturePlan([Reg.Rbx, Reg.Rcx], 0, [new DerefSpec(Source.Of(Reg.Rbx), Source.Of(Reg.Rcx), 64)]), [p]);
        var fast = new ParamDecoder(probe, p);
        var text = new TextBuffer();
        var rng = new Random(5);
        byte[][] samples = [[], "héllo"u8.ToArray(), [0xff, 0x41], [0xe2, 0x82], [0xf0, 0x9f, 0x98, 0x80, 0xc0, 0x80]];
        foreach (var bytes in samples.Concat(Enumerable.Range(0, 500).Select(_ => { var b = new byte[rng.Next(0, 40)]; rng.NextBytes(b); return b; })))
        {
            var ev = new RawEvent(1, 0, 1, 1, [0x7000, (ulong)bytes.Length], null, [new DerefData(bytes, bytes.Length, 0)]);
            Assert.True(fast.TryUtf8(ev, out var utf8));
            Assert.Equal(ValueDecoder.DecodeParam(probe, p, ev).Value, text.AddUtf8(utf8).ToString());
        }
    }
}
