using System.CommandLine;
using System.Globalization;
using Calltape.Analyzer.Binaries;
using Calltape.Analyzer.Conversion;
using Calltape.Analyzer.Inputs;
using Calltape.Capture;

namespace Calltape.Analyzer.Commands;

/// <summary>calltape convert CAPTURE [-o DIR] [--binaries DIR] [--partition]: writes the capture as Parquet tables.</summary>
public static class ConvertCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var capture = new Argument<string>("capture") { Description = "The capture directory (made by calltape-record) or a bundle (made by calltape bundle)." };
        var outDir = new Option<string?>("--output", "-o") { Description = "Directory for the Parquet files (default: CAPTURE.parquet beside it)." };
        var binaries = CommonOptions.Binaries();
        var partition = new Option<bool>("--partition")
        {
            Description = "Add the tables to a hive-partitioned tree shared by many captures: DIR/TABLE/host=H/date=D/part-CAPTURE_ID.parquet (docs/FLEET.md). Needs -o.",
        };
        var cmd = new Command("convert", "Convert a capture to Parquet: calls, one typed table per function, probes, binaries, loss.")
        {
            capture, outDir, binaries, partition,
        };
        cmd.SetAction((pr, ct) => RunAsync(pr.GetValue(capture)!, pr.GetValue(outDir), pr.GetValue(binaries), output, error, ct,
            pr.GetValue(partition)));
        return cmd;
    }

    /// <summary>Converts and prints the one-line summary; warnings go to <paramref name="error"/>.</summary>
    public static async Task<int> RunAsync(string capture, string? outDir, string? binaries, TextWriter output, TextWriter error,
        CancellationToken ct = default, bool partition = false)
    {
        if (partition && outDir is null)
            throw new CalltapeException("--partition needs -o DIR: the tree that many captures are added to");
        var result = await ConvertAsync(capture, outDir ?? DefaultOutput(capture), binaries, error, ParquetFiles.DefaultRowGroupRows, ct, partition);
        output.WriteLine(Summary(result));
        return 0;
    }

    /// <summary>Where a capture's Parquet goes unless told otherwise: incident.ctape → incident.ctape.parquet.</summary>
    public static string DefaultOutput(string capture) => Path.GetFullPath(capture.TrimEnd('/')) + ".parquet";

    /// <summary>Opens, checks binaries, converts; prints one warning line per problem found along the way.</summary>
    internal static async Task<ConversionResult> ConvertAsync(string capture, string outDir, string? binaries, TextWriter error,
        int rowGroupRows, CancellationToken ct = default, bool partition = false)
    {
        var input = CaptureInput.Open(capture, binaries);
        var reader = input.OpenReader();
        foreach (var w in new BinaryCheck(input.Binaries).Verify(reader.Header)) error.WriteLine($"warning: {w}");
        var result = partition
            ? await FleetPartition.ConvertAsync(reader, outDir, rowGroupRows, ct)
            : await ParquetExporter.ConvertAsync(reader, outDir, rowGroupRows, ct, DynamicTypes.For(reader.Header, input.Binaries));
        foreach (var w in result.Warnings) error.WriteLine($"warning: {w}");
        if (result.Trailer is null && result.Warnings.Count == 0)
            error.WriteLine($"warning: {capture}: no trailer, the recording was cut; converted the {ProbeText.Count(result.Events)} events written before the cut");
        return result;
    }

    internal static string Summary(ConversionResult r)
    {
        var secs = Math.Max(r.Elapsed.TotalSeconds, 1e-9);
        var rate = r.Events / secs;
        var rateText = rate >= 1e6 ? $"{rate / 1e6:0.00} M events/s" : $"{rate / 1e3:0.0} k events/s";
        var line = string.Create(CultureInfo.InvariantCulture,
            $"converted {ProbeText.Count(r.Events)} events ({r.Functions} function tables) to {r.OutputDir} in {secs:0.000} s ({rateText})");
        return r.Returns is { } ret ? $"{line}; returns: {ProbeText.Returns(ret.Paired, ret.UnmatchedExits, ret.Unclosed)}" : line;
    }
}
