namespace Calltape.Capture;

/// <summary>An error caused by the user's input or environment: printed as one line, never with a stack.</summary>
/// <remarks>Everything that is not a CalltapeException is a bug and shows its stack (dotnet/diagnostics style).</remarks>
public class CalltapeException : Exception
{
    public CalltapeException(string message, int exitCode = ExitCodes.BadInput) : base(message) => ExitCode = exitCode;

    public CalltapeException(string message, int exitCode, Exception inner) : base(message, inner) => ExitCode = exitCode;

    public int ExitCode { get; }
}

/// <summary>Process exit codes shared by both tools.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
    public const int NotFound = 3;
    public const int Permission = 4;
    public const int Unsupported = 5;
    public const int CorruptCapture = 6;
    public const int Bug = 70; // EX_SOFTWARE
}
