using System.CommandLine;
using Calltape.Analyzer.Commands;
using Calltape.Capture;

namespace Calltape.Analyzer;

/// <summary>The calltape entry point: parses the verb and owns the one place where errors become exit codes.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error);

    /// <summary>Runs one command line with the given streams; tests call this in-process.</summary>
    /// <remarks>
    /// A <see cref="CalltapeException"/> is the user's problem: one line, its exit code. Environment failures while
    /// writing output (disk full, permission) are reported the same way. Anything else is a bug: the full stack, 70.
    /// </remarks>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("calltape: analyze Calltape captures offline (info, convert to Parquet, SQL queries).")
        {
            InfoCommand.Create(output, error),
            ConvertCommand.Create(output, error),
            QueryCommand.Create(output, error),
            BundleCommand.Create(output, error),
            ReplayCommand.Create(output, error),
            ReportCommand.Create(output, error),
            ExportCommand.Create(output, error),
            DiffCommand.Create(output, error),
        };
        var parsed = root.Parse(args.Length == 0 ? ["--help"] : args);
        if (parsed.Errors.Count > 0)
        {
            // One line, like every other error: the problems joined, each message's lines folded.
            var message = string.Join("; ", parsed.Errors.Select(e =>
                string.Join(" ", e.Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))));
            error.WriteLine($"calltape: error: {message} (see 'calltape --help')");
            return ExitCodes.BadInput;
        }
        try
        {
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = error };
            return await parsed.InvokeAsync(config);
        }
        catch (CalltapeException ex)
        {
            error.WriteLine($"calltape: error: {ex.Message}");
            return ex.ExitCode;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException || (ex is IOException && ex is not EndOfStreamException))
        {
            error.WriteLine($"calltape: error: {ex.Message}");
            return ex is UnauthorizedAccessException ? ExitCodes.Permission : ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("calltape: interrupted");
            return 130;
        }
        catch (Exception ex)
        {
            error.WriteLine($"calltape: internal error (a bug; please report it with this output):\n{ex}");
            return ExitCodes.Bug;
        }
    }
}
