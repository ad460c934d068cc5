using System.CommandLine;
using Calltape.Analyzer.Inputs;
using Calltape.Analyzer.Replay;
using Calltape.Analyzer.Report;
using Calltape.Capture;
using Calltape.Capture.Model;

namespace Calltape.Analyzer.Commands;

/// <summary>calltape report CAPTURE|BUNDLE: per function, calls, total and self time, mean and percentiles, and completeness.</summary>
public static class ReportCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var capture = new Argument<string>("capture") { Description = "The capture directory (made by calltape-record) or a bundle (made by calltape bundle)." };
        var by = new Option<string?>("--by") { Description = "Group each function's calls by pid, tid or arg:NAME (an argument's value)." };
        var sort = new Option<string>("--sort", "-s") { Description = "Order the lines by (descending).", DefaultValueFactory = _ => "total" }
            .AcceptOnlyFromAmong(ReportTable.Sorts);
        var binaries = CommonOptions.Binaries();
        var cmd = new Command("report", "Per-function statistics: calls, total, self time, mean, p50/p90/p99, max, and the share of calls seen.")
        {
            capture, by, sort, binaries,
        };
        cmd.SetAction(pr => Run(pr.GetValue(capture)!, pr.GetValue(by), pr.GetValue(sort)!, pr.GetValue(binaries), output, error));
        return cmd;
    }

    public static int Run(string capture, string? by, string sort, string? binaries, TextWriter output, TextWriter error)
    {
        var grouping = Grouping.Parse(by)
            ?? throw new CalltapeException($"--by {by}: expected pid, tid or arg:NAME", ExitCodes.BadInput);
        var reader = CaptureInput.Open(capture, binaries).OpenReader();
        var header = reader.Header;
        if (grouping is Grouping.Arg a && !header.Probes.Any(p => p.Kind == ProbeKind.Entry && p.Params.Any(x => x.Name == a.Name)))
            throw new CalltapeException($"--by arg:{a.Name}: no probed function has an argument named {a.Name}", ExitCodes.BadInput);
        var collector = new ReportCollector(grouping);
        var tracker = new CallTracker(header, collector);
        foreach (var ev in OrderedEvents.Of(reader.Events()))
        {
            collector.Count(ev);
            tracker.Process(ev);
        }
        tracker.Finish();
        foreach (var w in reader.Warnings) error.WriteLine($"warning: {w}");

        // Completeness is per function: the calls its entry probes saw over those plus the ones the ring dropped.
        var drops = reader.Losses.GroupBy(l => l.Probe).ToDictionary(g => g.Key, g => g.Aggregate(0UL, (s, l) => s + l.Drops));
        var share = header.Probes.Where(p => p.Kind == ProbeKind.Entry).GroupBy(p => p.Function).ToDictionary(g => g.Key, g =>
        {
            var seen = g.Sum(p => collector.Events.GetValueOrDefault(p.Id));
            var lost = g.Aggregate(0UL, (s, p) => s + drops.GetValueOrDefault(p.Id));
            return seen + (double)lost == 0 ? 1.0 : seen / (seen + (double)lost);
        });
        var stats = collector.Stats.ToList();
        foreach (var s in stats) s.Completeness = share.GetValueOrDefault(s.Function, 1.0);
        // Functions probed but never called still get a line: zero calls is a finding, and so is its completeness.
        if (grouping is Grouping.None)
            foreach (var (fn, c) in share)
                if (!stats.Any(s => s.Function == fn)) stats.Add(new FunctionStats(fn, null) { Completeness = c });
        var title = grouping switch { Grouping.Pid => "pid", Grouping.Tid => "tid", Grouping.Arg x => x.Name, _ => null };
        ReportTable.Write(stats, sort, title, output);
        return 0;
    }
}
