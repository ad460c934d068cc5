using System.CommandLine;
using System.Globalization;
using Calltape.Capture;
using Calltape.Capture.Format;
using Calltape.Recorder.Session;

namespace Calltape.Recorder.Commands;

/// <summary>The command line of calltape-record (it has one verb: record).</summary>
internal static class RecordCommand
{
    public static RootCommand Create(string[] rawArgs)
    {
        var output = new Option<string>("--output", "-o") { Description = "Capture directory to create", Required = true };
        var probes = new Option<string[]>("--probe", "-p") { Description = "Function to probe (repeatable), e.g. main.computeE, or a glob such as 'main.*'; a signature describes the parameters when there is no DWARF: 'main.handle(id int64, name string)', 'libfoo.so:parse(const char *s, int n)'", Required = true, AllowMultipleArgumentsPerToken = false };
        var exe = new Option<string?>("--exe") { Description = "Trace every process of this binary, including ones started later" };
        var pid = new Option<int?>("--pid") { Description = "Trace this process only" };
        var duration = new Option<string?>("--duration") { Description = "Stop after this long (seconds, or 500ms, 2m)" };
        var maxEvents = new Option<long?>("--max-events") { Description = "Stop after this many events" };
        var maxSize = new Option<string?>("--max-size") { Description = "Stop once the capture is this big (bytes, or 64M, 1G)" };
        var chunkSize = new Option<string>("--chunk-size") { Description = "Rotate chunk files at this size", DefaultValueFactory = _ => "64M" };
        var ringSize = new Option<string>("--ring-size") { Description = "BPF ring buffer size (power of two)", DefaultValueFactory = _ => "16M" };
        var stringMax = new Option<int>("--string-max") { Description = "Bytes of each string argument to capture", DefaultValueFactory = _ => 256 };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No live status line" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print libbpf's log" };
        var returns = new Option<bool>("--returns") { Description = "Also probe every return: durations and return values (Go: a uprobe on each RET)" };
        var redact = new Option<string[]>("--redact") { Description = "Never write the values of parameters with this name, or matching /REGEX/ (repeatable)", AllowMultipleArgumentsPerToken = false };
        var stack = new Option<string[]>("--stack")
        {
            Description = "Record the user stack of each call, like perf record -g: at every probe, or only at functions matching " +
                "GLOB (repeatable). Frame pointers are walked in BPF: Go keeps them on amd64; build C/C++ with -fno-omit-frame-pointer",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
            HelpName = "GLOB",
        };
        var stackDepth = new Option<int>("--stack-depth") { Description = $"Frames per stack with --stack (1-{Bpf.BpfLimits.MaxUserStack})", DefaultValueFactory = _ => Planning.StackRequest.DefaultDepth };
        var command = new Argument<string[]>("command") { Description = "After --: a command to launch and trace", Arity = ArgumentArity.ZeroOrMore };

        var root = new RootCommand("calltape-record: record function calls of running programs with eBPF uprobes")
        {
            output, probes, exe, pid, duration, maxEvents, maxSize, chunkSize, ringSize, stringMax, quiet, verbose, returns, redact, stack, stackDepth, command,
        };
        root.SetAction(parse =>
        {
            var ring = ParseSize(parse.GetValue(ringSize)!, "--ring-size");
            if (ring < 4096 || (ring & (ring - 1)) != 0 || ring > 1L << 30)
                throw new CalltapeException("--ring-size must be a power of two between 4K and 1G");
            var stringLimit = parse.GetValue(stringMax);
            if (stringLimit is < 0 or > 1024) throw new CalltapeException("--string-max must be between 0 and 1024");
            var options = new RecordOptions(
                parse.GetValue(output)!,
                parse.GetValue(probes) ?? [],
                parse.GetValue(exe),
                parse.GetValue(pid),
                parse.GetValue(command) ?? [],
                parse.GetValue(duration) is { } d ? ParseDuration(d) : null,
                parse.GetValue(maxEvents),
                parse.GetValue(maxSize) is { } m ? ParseSize(m, "--max-size") : null,
                ParseSize(parse.GetValue(chunkSize)!, "--chunk-size"),
                (uint)ring,
                stringLimit,
                parse.GetValue(quiet),
                parse.GetValue(verbose),
                parse.GetValue(returns));
            var depth = parse.GetValue(stackDepth);
            if (depth is < 1 or > Bpf.BpfLimits.MaxUserStack) throw new CalltapeException($"--stack-depth must be between 1 and {Bpf.BpfLimits.MaxUserStack}");
            options = options with
            {
                Redact = parse.GetValue(redact) ?? [],
                Stack = parse.GetResult(stack) is null ? null : parse.GetValue(stack) ?? [],
                StackDepth = depth,
            };
            return new Recording(options).Run(rawArgs);
        });
        return root;
    }

    /// <summary>Parses 4096, 64K, 16M, 1G (powers of 1024).</summary>
    public static long ParseSize(string s, string option)
    {
        var t = s.Trim().ToUpperInvariant();
        long mult = 1;
        if (t.EndsWith('K')) mult = 1L << 10;
        else if (t.EndsWith('M')) mult = 1L << 20;
        else if (t.EndsWith('G')) mult = 1L << 30;
        if (mult != 1) t = t[..^1];
        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v <= 0)
            throw new CalltapeException($"{option} {s}: expected a size such as 4096, 64K, 16M or 1G");
        return checked(v * mult);
    }

    /// <summary>Parses 10 (seconds), 1.5s, 500ms, 2m.</summary>
    public static TimeSpan ParseDuration(string s)
    {
        var t = s.Trim().ToLowerInvariant();
        double scale = 1;
        if (t.EndsWith("ms", StringComparison.Ordinal)) { scale = 1e-3; t = t[..^2]; }
        else if (t.EndsWith('s')) t = t[..^1];
        else if (t.EndsWith('m')) { scale = 60; t = t[..^1]; }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v <= 0)
            throw new CalltapeException($"--duration {s}: expected a time such as 10, 1.5s, 500ms or 2m");
        return TimeSpan.FromSeconds(v * scale);
    }

    /// <summary>Default chunk size, for help text consistency with the format library.</summary>
    public static long DefaultChunkSize => CaptureFormat.DefaultChunkSize;
}
