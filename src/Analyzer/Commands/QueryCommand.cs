using System.CommandLine;
using Calltape.Analyzer.Query;

namespace Calltape.Analyzer.Commands;

/// <summary>calltape query CAPTURE|PARQUET_DIR "SQL" [--format table|csv|json]: SQL over the capture with DuckDB.</summary>
public static class QueryCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var input = new Argument<string>("input") { Description = "A capture directory, a bundle, or a directory made by calltape convert." };
        var sql = new Argument<string>("sql")
        {
            Description = "The SQL. Views: calls, probes, binaries, loss, and one per function named like it, e.g. \"main.computeE\".",
        };
        var format = new Option<string>("--format", "-f") { Description = "Output format.", DefaultValueFactory = _ => "table" }
            .AcceptOnlyFromAmong("table", "csv", "json");
        var binaries = CommonOptions.Binaries();
        var cmd = new Command("query", "Run SQL over a capture (converted to Parquet and cached beside it on first use).")
        {
            input, sql, format, binaries,
        };
        cmd.SetAction((pr, ct) => RunAsync(pr.GetValue(input)!, pr.GetValue(sql)!, Enum.Parse<OutputFormat>(pr.GetValue(format)!, ignoreCase: true), pr.GetValue(binaries), output, error, ct));
        return cmd;
    }

    public static async Task<int> RunAsync(string input, string sql, OutputFormat format, string? binaries, TextWriter output,
        TextWriter error, CancellationToken ct = default)
    {
        var (dir, manifest) = await ParquetSource.ResolveAsync(input, binaries, error, ct);
        using var engine = QueryEngine.Open(dir, manifest);
        engine.Run(sql, r => ResultFormatter.Write(r, format, output));
        return 0;
    }
}
