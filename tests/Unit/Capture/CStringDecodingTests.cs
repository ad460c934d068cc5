using System.Text;
using Calltape.Capture.Decoding;
using Calltape.Capture.Model;
using Xunit;

namespace Calltape.Tests.Unit.Capture;

/// <summary>C strings read by bpf_probe_read_user_str: complete only when the read stopped short of max_len.</summary>
public class CStringDecodingTests
{
    private const int MaxLen = 10; // --string-max 8

    private static DecodedValue Decode(ulong ptr, DerefData d)
    {
        var type = new TypeDesc("const char*", TypeKind.String, 8);
        var plan = new CapturePlan([Reg.Rdi], 0, [new DerefSpec(Source.Of(Reg.Rdi), Source.None, MaxLen, CString: true)]);
        var probe = new ProbeSpec(0, "f", 0, 0, 0, 0, AbiKind.SysV, plan, [new ParamSpec("s", type, [Source.Of(Reg.Rdi)], 0)]);
        return ValueDecoder.Decode(probe, new RawEvent(0, 0, 1, 1, [ptr], null, [d]))[0];
    }

    // What the helper returns for a string: at most MaxLen - 1 bytes, then its NUL.
    private static DerefData Read(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        var n = Math.Min(bytes.Length, MaxLen - 1);
        return new DerefData([.. bytes.AsSpan(0, n), 0], MaxLen, 0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("12345678")] // exactly --string-max bytes
    public void ShortStringsAreComplete(string s) => Assert.Equal(new DecodedValue(s, null), Decode(0x1000, Read(s)));

    [Theory]
    [InlineData("123456789")]   // one byte over: the read fills max_len
    [InlineData("1234567890abcdef")]
    public void LongerStringsAreTruncatedAtStringMax(string s) =>
        Assert.Equal(DecodedValue.Missing("truncated at 8 bytes", "12345678"), Decode(0x1000, Read(s)));

    [Fact]
    public void NilAndUnreadable()
    {
        Assert.Equal("nil pointer", Decode(0, new DerefData([], MaxLen, -14)).NotCaptured);
        Assert.Equal("unreadable memory (errno 14)", Decode(0x1000, new DerefData([], MaxLen, -14)).NotCaptured);
    }
}
