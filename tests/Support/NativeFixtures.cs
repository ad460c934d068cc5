namespace Calltape.Tests.Support;

/// <summary>The Rust optimization levels fixtures are built at (rustc -C opt-level).</summary>
public enum RustOpt
{
    /// <summary>-C opt-level=0: every argument spilled, unoptimized code.</summary>
    Debug,
    /// <summary>-C opt-level=3: release code.</summary>
    Release,
}

/// <summary>
/// Builds the C++ (tests/fixtures/cxx/NAME.cpp, g++ or clang++) and Rust (tests/fixtures/rust/NAME.rs, rustc) fixtures, cached per
/// flags. Rust uses Debian's /usr/bin/rustc, which scripts/setup.sh installs: CI has no rustup toolchain.
/// </summary>
public static class NativeFixtures
{
    /// <summary>Debian's rustc (bookworm: 1.63), never a rustup shim on PATH.</summary>
    public const string Rustc = "/usr/bin/rustc";

    /// <summary>Debian's clang++ 14 (package clang-14, which scripts/setup.sh installs); it links libstdc++ as g++ does.</summary>
    public const string ClangXx = "/usr/bin/clang++-14";

    private static readonly string Cache = Path.Combine(Path.GetTempPath(), $"calltape-native-{Environment.ProcessId}");
    private static readonly Lock Gate = new();

    /// <summary>Builds tests/fixtures/cxx/NAME.cpp, or every .cpp in the directory tests/fixtures/cxx/NAME/ (one program
    /// of several units), with a C++ compiler (g++ unless <paramref name="compiler"/> says, such as <see cref="ClangXx"/>)
    /// and flags such as "-O2 -g"; returns the executable.</summary>
    public static string BuildCxx(string name, string flags, string compiler = "g++")
    {
        var path = Path.Combine(Repo.Root, "tests", "fixtures", "cxx", name);
        var sources = Directory.Exists(path)
            ? string.Join(' ', Directory.GetFiles(path, "*.cpp").Order(StringComparer.Ordinal))
            : path + ".cpp";
        return Cached($"{name}-{Tag(Path.GetFileName(compiler))}{Tag(flags)}", output => Fixtures.Run(compiler, $"{flags} -o {output} {sources}"));
    }

    /// <summary>Builds tests/fixtures/rust/NAME.rs with rustc -g at an optimization level; extra flags (such as
    /// "-C symbol-mangling-version=v0") are appended.</summary>
    public static string BuildRust(string name, RustOpt opt, string extra = "")
    {
        var source = Path.Combine(Repo.Root, "tests", "fixtures", "rust", name + ".rs");
        var level = opt == RustOpt.Debug ? 0 : 3;
        return Cached($"{name}-rust{level}{Tag(extra)}", output =>
            Fixtures.Run(Rustc, $"-g -C opt-level={level} {extra} --crate-name {name} -o {output} {source}", Cache));
    }

    private static string Tag(string flags) => new(flags.Where(char.IsLetterOrDigit).ToArray());

    private static string Cached(string file, Action<string> build)
    {
        lock (Gate)
        {
            Directory.CreateDirectory(Cache);
            var output = Path.Combine(Cache, file);
            if (!File.Exists(output)) build(output);
            return output;
        }
    }
}
