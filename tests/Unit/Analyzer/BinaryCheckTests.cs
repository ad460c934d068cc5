using Calltape.Capture;
using Calltape.Symbols;
using Calltape.Tests.Support;
using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

public class BinaryCheckTests
{
    /// <summary>A real ELF with a GNU build-id, copied so tests can rename and move it.</summary>
    private static (string Dir, string Path, string BuildId) RealBinary()
    {
        var dir = Repo.NewTempDir("bin");
        var path = System.IO.Path.Combine(dir, "calc");
        File.Copy("/bin/true", path);
        var id = ElfImage.Open(path).GnuBuildId;
        Assert.NotNull(id);
        return (dir, path, id!);
    }

    [Fact]
    public void A_binary_with_another_build_id_is_an_error()
    {
        var (_, path, real) = RealBinary();
        var cap = SyntheticCapture.Create(header: SyntheticCapture.Header(path, "00112233445566778899aabbccddeeff00112233", null));
        var r = Cli.Run("convert", cap);
        Assert.Equal(ExitCodes.BadInput, r.Code);
        Assert.Equal(
            $"calltape: error: binary {path} has build-id {real}, the capture was recorded with 00112233445566778899aabbccddeeff00112233; pass --binaries DIR with the right one\n",
            r.Err);
        Assert.False(Directory.Exists(cap + ".parquet"));
    }

    [Fact]
    public void The_right_binary_verifies_silently_and_binaries_dir_is_searched_by_name()
    {
        var (dir, path, real) = RealBinary();
        var here = SyntheticCapture.Create(header: SyntheticCapture.Header(path, real, null));
        var r = Cli.Run("convert", here);
        Assert.Equal(0, r.Code);
        Assert.Equal("", r.Err);
        Assert.Contains("(build-id matches)", Cli.Run("info", here).Out);

        var moved = SyntheticCapture.Create(header: SyntheticCapture.Header("/gone/away/calc", real.ToUpperInvariant(), null));
        var r2 = Cli.Run("convert", moved, "--binaries", dir);
        Assert.Equal(0, r2.Code);
        Assert.Equal("", r2.Err);
    }

    [Fact]
    public void A_missing_binary_is_one_warning_and_conversion_goes_on()
    {
        var cap = SyntheticCapture.Create();
        var emptyDir = Repo.NewTempDir("nobin");
        var r = Cli.Run("convert", cap, "--binaries", emptyDir);
        Assert.Equal(0, r.Code);
        var line = Assert.Single(r.ErrLines);
        Assert.StartsWith("warning: binary /nonexistent/calc not found", line);
        Assert.Contains("converted 15 events", r.Out);
    }

    [Fact]
    public void A_missing_binaries_dir_is_an_error()
    {
        var cap = SyntheticCapture.Create();
        var r = Cli.Run("convert", cap, "--binaries", "/nonexistent/dir");
        Assert.Equal(ExitCodes.NotFound, r.Code);
        Assert.StartsWith("calltape: error: --binaries /nonexistent/dir", r.Err);
    }
}
