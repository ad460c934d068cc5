namespace Calltape.Tests.Support;

/// <summary>Locates the repository and the built tools from inside a test run.</summary>
public static class Repo
{
    /// <summary>The repository root (the folder holding Suite.sln).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A per-run scratch folder under /tmp, removed by the OS, never by a test that failed.</summary>
    public static string NewTempDir(string prefix)
    {
        var d = Path.Combine(Path.GetTempPath(), $"calltape-{prefix}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(d);
        return d;
    }

    private static string FindRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "Suite.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("Suite.sln not found above " + AppContext.BaseDirectory);
    }
}
