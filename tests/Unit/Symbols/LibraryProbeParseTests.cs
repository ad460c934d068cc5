using Calltape.Recorder.Planning;
using Xunit;

namespace Calltape.Tests.Unit.Symbols;

public class LibraryProbeParseTests
{
    [Theory]
    [InlineData("libc.so.6:malloc", "libc.so.6", "malloc")]
    [InlineData("/usr/lib/x86_64-linux-gnu/libz.so.1:inflate", "/usr/lib/x86_64-linux-gnu/libz.so.1", "inflate")]
    [InlineData("libfoo.so:ns::f", "libfoo.so", "ns::f")]
    [InlineData("libfoo.so:parse(const char *s, int n)", "libfoo.so", "parse(const char *s, int n)")]
    public void LibraryAndFunction(string text, string library, string function) =>
        Assert.Equal(new LibraryProbe(library, function), LibraryProbe.TryParse(text));

    [Theory]
    [InlineData("main.record")]
    [InlineData("type:.eq.main.T")] // a Go 1.21+ function name with a colon
    [InlineData("libc.so.6:")]
    public void NotALibrary(string text) => Assert.Null(LibraryProbe.TryParse(text));

    [Fact]
    public void LocatesLibcInOwnMapsAndInTheLdconfigCache()
    {
        var fromMaps = LibraryProbe.Locate("libc.so.6", Environment.ProcessId);
        var fromCache = LibraryProbe.Locate("libc.so.6", null);
        Assert.EndsWith("/libc.so.6", fromMaps);
        Assert.Equal(new FileInfo(fromCache).Length, new FileInfo(fromMaps).Length);
    }
}
