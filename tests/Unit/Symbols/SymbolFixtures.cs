using System.Text.RegularExpressions;
using Calltape.Tests.Support;

namespace Calltape.Tests.Unit.Symbols;

/// <summary>Builds the C fixture with gcc and wraps the binutils tools the Symbols tests compare against.</summary>
internal static partial class SymbolFixtures
{
    private static readonly string Dir = Path.Combine(Path.GetTempPath(), $"calltape-symbols-{Environment.ProcessId}");
    private static readonly Lock Gate = new();

    /// <summary>Builds tests/fixtures/c/NAME.c with gcc (or another compiler) and the given flags (cached per flags).</summary>
    public static string BuildC(string name, string flags, string compiler = "gcc")
    {
        lock (Gate)
        {
            Directory.CreateDirectory(Dir);
            var tag = compiler + new string(flags.Where(char.IsLetterOrDigit).ToArray());
            var output = Path.Combine(Dir, $"{name}-{tag}");
            if (!File.Exists(output))
                Fixtures.Run(compiler, $"{flags} -o {output} {Path.Combine(Repo.Root, "tests", "fixtures", "c", name + ".c")}");
            return output;
        }
    }

    public static string Readelf(string args) => Fixtures.Run("readelf", args);

    /// <summary>Plans the probe of the one function with this demangled name in a C++ or Rust binary, as the recorder would.</summary>
    public static Calltape.Capture.Model.ProbeSpec PlanDemangled(string binary, string demangled)
    {
        var elf = Calltape.Symbols.ElfImage.Open(binary);
        var fn = Xunit.Assert.Single(new Calltape.Symbols.DemangleIndex(elf.Functions).Exact(demangled));
        var info = Calltape.Symbols.DwarfReader.Load(elf)!.FindFunction(fn.Name, fn.Address);
        Xunit.Assert.NotNull(info);
        return Calltape.Symbols.ProbePlanner.Plan(0, 0, elf, fn, info, new Calltape.Symbols.PlanOptions(64));
    }

    /// <summary>The hex build-id readelf -n prints, or null.</summary>
    public static string? ReadelfBuildId(string path)
    {
        var m = BuildIdRegex().Match(Readelf($"-n {path}"));
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>st_value of a symbol from readelf -sW.</summary>
    public static ulong ReadelfSymbol(string path, string name)
    {
        foreach (var line in Readelf($"-sW {path}").Split('\n'))
        {
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cols.Length >= 8 && cols[7] == name && cols[3] == "FUNC") return Convert.ToUInt64(cols[1], 16);
        }
        throw new InvalidOperationException($"{name} not in readelf -sW {path}");
    }

    /// <summary>The file offset of a vaddr computed from readelf -lW's LOAD rows (offset, vaddr, filesz).</summary>
    public static ulong ReadelfFileOffset(string path, ulong vaddr)
    {
        foreach (var line in Readelf($"-lW {path}").Split('\n'))
        {
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cols.Length < 6 || cols[0] != "LOAD") continue;
            ulong off = Convert.ToUInt64(cols[1], 16), va = Convert.ToUInt64(cols[2], 16), fsz = Convert.ToUInt64(cols[4], 16);
            if (vaddr >= va && vaddr < va + fsz) return vaddr - va + off;
        }
        throw new InvalidOperationException($"0x{vaddr:x} not in a LOAD segment of {path}");
    }

    [GeneratedRegex(@"Build ID: ([0-9a-f]+)")]
    private static partial Regex BuildIdRegex();
}
