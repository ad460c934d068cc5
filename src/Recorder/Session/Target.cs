using System.Diagnostics;
using Calltape.Capture;
using Calltape.Recorder.Native;

namespace Calltape.Recorder.Session;

/// <summary>What to trace: every process of a binary, one process, or a command the recorder launches.</summary>
internal abstract class Target : IDisposable
{
    /// <summary>The traced executable, as an absolute path (libbpf attaches by inode through it).</summary>
    public required string BinaryPath { get; init; }

    /// <summary>The pid filter for attaching: -1 for every process mapping the binary.</summary>
    public abstract int AttachPid { get; }

    /// <summary>A running process whose /proc/PID/maps names the shared libraries to probe, or null (use ldconfig's cache).</summary>
    /// <remarks>A launched command is still the shell before exec when probes are planned, so its maps would mislead.</remarks>
    public virtual int? MapsPid => null;

    /// <summary>A description for the manifest: exe:PATH, pid:N, launch:CMD.</summary>
    public abstract string Describe();

    /// <summary>Called before attaching: a launched command is started here, stopped before its first instruction.</summary>
    public virtual void Prepare() { }

    /// <summary>Called once every probe is attached.</summary>
    public virtual void Start() { }

    /// <summary>Why recording must stop because of the target (process gone), or null.</summary>
    public virtual string? StopReason() => null;

    /// <summary>The exit code the recorder returns for this target.</summary>
    public virtual int ExitCode => ExitCodes.Ok;

    public virtual void Dispose() { }

    public static Target ForExe(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new CalltapeException($"--exe {path}: no such file", ExitCodes.NotFound);
        return new ExeTarget { BinaryPath = ResolveLinks(full) };
    }

    public static Target ForPid(int pid)
    {
        var exe = $"/proc/{pid}/exe";
        if (pid <= 0 || !Directory.Exists($"/proc/{pid}")) throw new CalltapeException($"--pid {pid}: no such process", ExitCodes.NotFound);
        string? real;
        try { real = new FileInfo(exe).ResolveLinkTarget(returnFinalTarget: true)?.FullName; }
        catch (UnauthorizedAccessException) { throw new CalltapeException($"--pid {pid}: cannot read {exe} (not root?)", ExitCodes.Permission); }
        if (real is null || !File.Exists(real))
            throw new CalltapeException($"--pid {pid}: its executable is gone or unreadable ({real ?? exe})", ExitCodes.NotFound);
        return new PidTarget(pid) { BinaryPath = real };
    }

    public static Target ForLaunch(IReadOnlyList<string> command)
    {
        if (command.Count == 0) throw new CalltapeException("no command after --");
        var exe = ResolveCommand(command[0]);
        return new LaunchTarget(command, exe) { BinaryPath = ResolveLinks(exe) };
    }

    private static string ResolveCommand(string name)
    {
        if (name.Contains('/'))
        {
            var full = Path.GetFullPath(name);
            return File.Exists(full) ? full : throw new CalltapeException($"{name}: no such file", ExitCodes.NotFound);
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var c = Path.Combine(dir, name);
            if (File.Exists(c)) return Path.GetFullPath(c);
        }
        throw new CalltapeException($"{name}: command not found in PATH", ExitCodes.NotFound);
    }

    private static string ResolveLinks(string path) =>
        new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;

    private sealed class ExeTarget : Target
    {
        public override int AttachPid => -1;
        public override string Describe() => "exe:" + BinaryPath;
    }

    private sealed class PidTarget(int pid) : Target
    {
        public override int AttachPid => pid;
        public override int? MapsPid => pid;
        public override string Describe() => $"pid:{pid}";
        public override string? StopReason() => Directory.Exists($"/proc/{pid}") ? null : $"process {pid} exited";
    }

    /// <summary>Starts the command stopped, so probes are in place before its main runs.</summary>
    /// <remarks>
    /// A shell stops itself with SIGSTOP and, once continued, execs the command: the pid survives exec, so the pid
    /// filter given to the kernel (which matches on the task's mm at mmap time) covers the command from its first
    /// instruction.
    /// </remarks>
    private sealed class LaunchTarget : Target
    {
        private readonly IReadOnlyList<string> _command;
        private readonly string _exe;
        private Process? _started;

        public LaunchTarget(IReadOnlyList<string> command, string exe)
        {
            _command = command;
            _exe = exe;
            Command = string.Join(' ', command);
        }

        private Process Child => _started ?? throw new InvalidOperationException("the command was not started");

        public override void Prepare()
        {
            var (command, exe) = (_command, _exe);
            var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("kill -STOP $$; exec \"$0\" \"$@\"");
            psi.ArgumentList.Add(exe);
            foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
            _started = Process.Start(psi) ?? throw new CalltapeException($"could not start {exe}");
            WaitStopped();
        }

        public string Command { get; }
        public override int AttachPid => Child.Id;
        public override string Describe() => "launch:" + Command;

        public override void Start() => Libc.kill(Child.Id, Libc.SigCont);

        public override string? StopReason() => Child.HasExited ? $"command exited with {Child.ExitCode}" : null;

        public override int ExitCode => Child.HasExited ? Child.ExitCode : ExitCodes.Failure;

        public override void Dispose()
        {
            if (_started is null) return;
            if (!_started.HasExited)
            {
                // Recording ended first (a limit or a signal): continue the command rather than leave it stopped.
                Libc.kill(_started.Id, Libc.SigCont);
            }
            _started.Dispose();
        }

        private void WaitStopped()
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                if (Child.HasExited) throw new CalltapeException($"{Command}: exited with {Child.ExitCode} before it started");
                try
                {
                    var stat = File.ReadAllText($"/proc/{Child.Id}/stat");
                    var state = stat[(stat.LastIndexOf(')') + 2)..][0];
                    if (state == 'T') return;
                }
                catch (IOException) { }
                Thread.Sleep(2);
            }
            throw new CalltapeException($"{Command}: did not reach its stop point within 10 s");
        }
    }
}
