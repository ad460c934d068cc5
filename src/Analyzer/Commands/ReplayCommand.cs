using System.CommandLine;
using Calltape.Analyzer.Binaries;
using Calltape.Analyzer.Inputs;
using Calltape.Analyzer.Replay;
using Calltape.Capture;

namespace Calltape.Analyzer.Commands;

/// <summary>calltape replay CAPTURE|BUNDLE: the calls in time order, nested per thread or goroutine, like uftrace replay.</summary>
public static class ReplayCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var capture = new Argument<string>("capture") { Description = "The capture directory (made by calltape-record) or a bundle (made by calltape bundle)." };
        var function = new Option<string?>("--function", "-F") { Description = "Show only calls of functions matching this glob (e.g. 'main.*')." };
        var pid = new Option<uint?>("--pid") { Description = "Show only calls of this process." };
        var tid = new Option<uint?>("--tid") { Description = "Show only calls made on this thread." };
        var since = new Option<string?>("--since") { Description = "Start here: a time from the capture start (1.5s, 200ms) or a wall clock (ISO 8601)." };
        var until = new Option<string?>("--until") { Description = "Stop here: a time from the capture start or a wall clock." };
        var where = new Option<string?>("--where")
        {
            Description = "SQL predicate over the arguments (columns of the function tables), e.g. \"iterations > 10\"; runs in DuckDB over the converted capture.",
        };
        var limit = new Option<long>("--limit", "-n") { Description = "Stop after this many lines (0: no limit).", DefaultValueFactory = _ => 0 };
        var binaries = CommonOptions.Binaries();
        var cmd = new Command("replay", "Print the calls in time order, nested per thread or goroutine, with durations, arguments and return values.")
        {
            capture, function, pid, tid, since, until, where, limit, binaries,
        };
        cmd.SetAction((pr, ct) => RunAsync(pr.GetValue(capture)!, new Options(pr.GetValue(function), pr.GetValue(pid), pr.GetValue(tid),
            pr.GetValue(since), pr.GetValue(until), pr.GetValue(where), pr.GetValue(limit)), pr.GetValue(binaries), output, error, ct));
        return cmd;
    }

    /// <summary>The filters as the user wrote them.</summary>
    public sealed record Options(string? Function = null, uint? Pid = null, uint? Tid = null, string? Since = null, string? Until = null,
        string? Where = null, long Limit = 0);

    public static async Task<int> RunAsync(string capture, Options o, string? binaries, TextWriter output, TextWriter error,
        CancellationToken ct = default)
    {
        if (o.Limit < 0) throw new CalltapeException($"--limit {o.Limit}: must be 0 (no limit) or more", ExitCodes.BadInput);
        var input = CaptureInput.Open(capture, binaries);
        var reader = input.OpenReader();
        var clock = reader.Header.Clock;
        var since = o.Since is null ? 0 : TimeArgument.ToKtime(o.Since, "--since", clock);
        var until = o.Until is null ? ulong.MaxValue : TimeArgument.ToKtime(o.Until, "--until", clock);
        var where = string.IsNullOrWhiteSpace(o.Where) ? null : await WhereMatcher.MatchAsync(capture, binaries, o.Where, error, ct);
        var filter = new CallFilter(o.Function is null ? null : CallFilter.Glob(o.Function), o.Pid, o.Tid, since, until, where, clock);
        var types = DynamicTypes.For(reader.Header, input.Binaries);
        if (!ReferenceEquals(output, Console.Out))
        {
            ReplayRunner.Run(reader, filter, output, error, o.Limit, types);
            return 0;
        }
        var stdout = PagerOutput.OpenStdout();
        try
        {
            ReplayRunner.Run(reader, filter, stdout, error, o.Limit, types);
            stdout.Flush();
        }
        catch (IOException ex) when (PagerOutput.IsClosedPipe(ex))
        {
            // `calltape replay | head` or a pager quit early: stop reading, quietly.
        }
        finally
        {
            try
            {
                stdout.Dispose();
            }
            catch (IOException)
            {
                // The buffered rest had nowhere to go: the pipe is closed.
            }
        }
        return 0;
    }
}
