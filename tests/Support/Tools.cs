using System.Diagnostics;
using System.Text;

namespace Calltape.Tests.Support;

/// <summary>Runs the built calltape and calltape-record executables as a user would.</summary>
public static class Tools
{
    private static readonly string Configuration =
        AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The recorder: $CALLTAPE_RECORD (scripts/test.sh points it at the native AOT file), else the build output.</summary>
    public static string Recorder => Environment.GetEnvironmentVariable("CALLTAPE_RECORD") is { Length: > 0 } p ? p : Exe("Recorder", "calltape-record");
    public static string Analyzer => Exe("Analyzer", "calltape");

    private static string Exe(string project, string name)
    {
        var p = Path.Combine(Repo.Root, "src", project, "bin", Configuration, "net10.0", "linux-x64", name);
        return File.Exists(p) ? p : throw new FileNotFoundException($"{name} is not built ({p}); run dotnet build Suite.sln -c {Configuration}");
    }

    /// <summary>Runs a tool to completion and returns its exit code and output.</summary>
    public static ToolResult Run(string exe, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        using var p = Start(exe, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{exe} {string.Join(' ', args)} did not finish");
        }
        p.WaitForExit();
        return new ToolResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts a tool with redirected output; the caller owns the process.</summary>
    public static Process Start(string exe, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start " + exe);
    }
}

/// <summary>What a finished tool run printed.</summary>
public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>A recorder running in the background, with its stderr collected line by line.</summary>
public sealed class BackgroundRecorder : IDisposable
{
    private readonly Process _p;
    private readonly StringBuilder _err = new();
    private readonly StringBuilder _out = new();
    private readonly TaskCompletionSource _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BackgroundRecorder(IEnumerable<string> args)
    {
        _p = Tools.Start(Tools.Recorder, args);
        _p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_err) _err.AppendLine(e.Data);
            if (e.Data.Contains("attached", StringComparison.Ordinal)) _attached.TrySetResult();
        };
        _p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
        _p.BeginErrorReadLine();
        _p.BeginOutputReadLine();
    }

    public Process Process => _p;
    public string Stderr { get { lock (_err) return _err.ToString(); } }
    public string Stdout { get { lock (_out) return _out.ToString(); } }

    /// <summary>Waits until the recorder says its probes are attached; fails with its output if it exits first.</summary>
    public void WaitAttached(TimeSpan? timeout = null)
    {
        var t = Task.WhenAny(_attached.Task, _p.WaitForExitAsync(), Task.Delay(timeout ?? TimeSpan.FromSeconds(60))).Result;
        if (!_attached.Task.IsCompleted) throw new InvalidOperationException($"recorder did not attach:\n{Stderr}");
    }

    /// <summary>Sends SIGINT (a clean stop) and waits for the exit code.</summary>
    public int Stop()
    {
        Signal(2);
        if (!_p.WaitForExit(TimeSpan.FromSeconds(60))) throw new TimeoutException("recorder did not stop on SIGINT:\n" + Stderr);
        _p.WaitForExit();
        return _p.ExitCode;
    }

    public void Signal(int sig) => Fixtures.Run("kill", $"-{sig} {_p.Id}");

    public void Dispose()
    {
        if (!_p.HasExited) _p.Kill(entireProcessTree: true);
        _p.Dispose();
    }
}
