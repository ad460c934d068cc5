using System.CommandLine;

namespace Calltape.Analyzer.Commands;

/// <summary>Options more than one verb takes.</summary>
internal static class CommonOptions
{
    public static Option<string?> Binaries() => new("--binaries")
    {
        Description = "Directory to find the traced binaries in (matched by file name, verified by build-id).",
    };
}
