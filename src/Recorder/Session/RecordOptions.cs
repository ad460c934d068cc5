namespace Calltape.Recorder.Session;

/// <summary>Everything the user asked of one recording.</summary>
internal sealed record RecordOptions(
    string Output,
    IReadOnlyList<string> Functions,
    string? Exe,
    int? Pid,
    IReadOnlyList<string> Command,
    TimeSpan? Duration,
    long? MaxEvents,
    long? MaxSize,
    long ChunkSize,
    uint RingBytes,
    int StringMax,
    bool Quiet,
    bool Verbose,
    bool Returns = false)
{
    /// <summary>--redact rules (NAME or /REGEX/): parameters whose values are never written.</summary>
    public IReadOnlyList<string> Redact { get; init; } = [];

    /// <summary>--stack: null records no user stacks; empty records them at every entry probe; else at functions matching a glob.</summary>
    public IReadOnlyList<string>? Stack { get; init; }

    /// <summary>--stack-depth: frames per user stack.</summary>
    public int StackDepth { get; init; } = Planning.StackRequest.DefaultDepth;
}
