using Calltape.Capture;
using Calltape.Recorder.Commands;

// Two kinds of error (as in dotnet/diagnostics): a CalltapeException is the user's and prints one line with its
// exit code; anything else is a bug and prints its stack.
try
{
    // Our own handlers own SIGINT/SIGTERM (a clean stop writes the trailer) and exceptions (below).
    var invocation = new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
    return RecordCommand.Create(args).Parse(args).Invoke(invocation);
}
catch (CalltapeException ex)
{
    Console.Error.WriteLine($"calltape-record: error: {ex.Message}");
    return ex.ExitCode;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"calltape-record: internal error (a bug; please report it with this trace):\n{ex}");
    return ExitCodes.Bug;
}
