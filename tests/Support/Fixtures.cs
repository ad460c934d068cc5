using System.Diagnostics;

namespace Calltape.Tests.Support;

/// <summary>The Go toolchains fixtures are built with (installed by scripts/setup.sh).</summary>
public enum GoToolchain
{
    /// <summary>Debian bookworm's Go 1.19: compressed DWARF 4.</summary>
    Go119,
    /// <summary>Debian sid's golang-1.26-go: DWARF 5.</summary>
    Go126,
}

/// <summary>Builds fixture programs from tests/fixtures once per test run and caches them by name and flags.</summary>
public static class Fixtures
{
    private static readonly string Cache = Path.Combine(Path.GetTempPath(), $"calltape-fixtures-{Environment.ProcessId}");
    private static readonly Lock Gate = new();

    public static string GoBinary(GoToolchain go) => go switch
    {
        GoToolchain.Go119 => "/usr/lib/go-1.19/bin/go",
        GoToolchain.Go126 => "/usr/lib/go-1.26/bin/go",
        _ => throw new ArgumentOutOfRangeException(nameof(go)),
    };

    /// <summary>Builds tests/fixtures/go/NAME (a main package) and returns the executable's absolute path.</summary>
    public static string BuildGo(string name, GoToolchain go = GoToolchain.Go119, string extraFlags = "")
    {
        var src = Path.Combine(Repo.Root, "tests", "fixtures", "go", name);
        return BuildGoDir(src, $"{name}-{go}-{Hash(extraFlags)}", go, extraFlags);
    }

    /// <summary>Builds any Go main package directory (for example demo/e-server).</summary>
    public static string BuildGoDir(string srcDir, string cacheName, GoToolchain go = GoToolchain.Go119, string extraFlags = "")
    {
        lock (Gate)
        {
            var outPath = Path.Combine(Cache, cacheName);
            if (File.Exists(outPath)) return outPath;
            Directory.CreateDirectory(Cache);
            var gocache = Path.Combine(Path.GetTempPath(), "calltape-gocache");
            Run(GoBinary(go), $"build {extraFlags} -o {outPath} .", srcDir,
                ("GOCACHE", gocache), ("GOFLAGS", "-mod=mod"), ("GO111MODULE", "on"), ("GOTOOLCHAIN", "local"), ("GOPROXY", "off"), ("CGO_ENABLED", "0"));
            return outPath;
        }
    }

    /// <summary>Runs a command to completion; throws with its output if it fails.</summary>
    public static string Run(string exe, string args, string? cwd = null, params (string, string)[] env)
    {
        var psi = new ProcessStartInfo(exe, args)
        {
            WorkingDirectory = cwd ?? Repo.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        psi.Environment["HOME"] = psi.Environment.TryGetValue("HOME", out var h) && !string.IsNullOrEmpty(h) ? h : "/root";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{exe} {args} failed with {p.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }

    private static string Hash(string s) => s.Length == 0 ? "plain" : Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(s)))[..10];
}
