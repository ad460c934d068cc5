using Calltape.Analyzer.Conversion;
using Calltape.Capture.Decoding;
using Calltape.Capture.Model;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

/// <summary>The converter's fast path must agree with ValueDecoder, which stays the reference.</summary>
public class ParamDecoderTests
{
    [Fact]
    public void Fast_scalars_agree_with_value_decoder_for_every_kind_size_and_source()
    {
        var kinds = new[] { TypeKind.Int, TypeKind.Uint, TypeKind.Bool, TypeKind.Pointer, TypeKind.Func };
        var ps = new List<ParamSpec>();
        foreach (var k in kinds)
            foreach (var size in new[] { 1, 2, 4, 8 })
            {
                ps.Add(new ParamSpec($"r{k}{size}", new TypeDesc($"t{size}", k, size), [Source.Of(Reg.Rsi)]));
                ps.Add(new ParamSpec($"s{k}{size}", new TypeDesc($"t{size}", k, size), [Source.StackAt(8 * (ps.Count % 4))]));
            }
        ps.Add(new ParamSpec("gone", new TypeDesc("int", TypeKind.Int, 8), [Source.Of(Reg.R15)])); // not in the plan
        ps.Add(new ParamSpec("far", new TypeDesc("int", TypeKind.Int, 8), [Source.StackAt(64)])); // past the window
        var probe = new ProbeSpec(1, "f", 0, 0, 0, 0, AbiKind.SysV, new CapturePlan([Reg.Rdi, Reg.Rsi], 40, []), ps);

        var rng = new Random(11);
        for (var n = 0; n < 2000; n++)
        {
            var stack = new byte[40];
            rng.NextBytes(stack);
            var ev = new RawEvent(1, 0, 1, 1, [(ulong)rng.NextInt64(), (ulong)rng.NextInt64() * (ulong)(n % 3 + 1)], n % 17 == 0 ? null : stack, []);
            foreach (var p in ps)
            {
                var fast = new ParamDecoder(probe, p);
                var reference = ValueDecoder.DecodeParam(probe, p, ev);
                if (fast.TryScalar(ev, out var bits))
                {
                    object got = fast.Column switch
                    {
                        ColumnKind.Int64 => (long)bits,
                        ColumnKind.Bool => bits != 0,
                        _ => bits,
                    };
                    Assert.Equal(reference.Value, got);
                }
                else
                {
                    Assert.Null(reference.Value);
                }
            }
        }
    }

    [Fact]
    public void Layout_renames_columns_that_collide_and_dedupes_views_ignoring_case()
    {
        var i64 = new TypeDesc("int", TypeKind.Int, 8);
        ParamSpec P(string name) => new(name, i64, [Source.Of(Reg.Rax)]);
        var plan = new CapturePlan([Reg.Rax], 0, []);
        var header = SyntheticCapture.Header() with
        {
            Probes =
            [
                new ProbeSpec(1, "main.Foo", 0, 0, 0, 0, AbiKind.GoRegs, plan, [P("pid"), P("x"), P("x"), P("")]),
                new ProbeSpec(2, "main.foo", 0, 0, 0, 0, AbiKind.GoRegs, plan, [P("a")]),
                new ProbeSpec(3, "calls", 0, 0, 0, 0, AbiKind.GoRegs, plan, []),
            ],
        };
        var layout = TableLayout.Plan(header);
        Assert.Equal(new[] { "pid_arg", "x", "x_2", "arg3" }, layout[0].Columns.Select(c => c.Name));
        Assert.Equal("main.foo#2", layout[1].View);
        Assert.NotEqual(layout[0].File, layout[1].File, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("main.__Server_.handle", TableLayout.Sanitize("main.(*Server).handle"));
    }
}
