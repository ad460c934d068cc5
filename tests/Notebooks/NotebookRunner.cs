using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Text;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace Calltape.Tests.Notebooks;

/// <summary>What one executed cell produced.</summary>
/// <param name="Index">The cell's position among all cells of the notebook.</param>
/// <param name="Outputs">The plain-text form of every displayed value and return value, in order.</param>
public sealed record CellRun(int Index, string Code, IReadOnlyList<string> Outputs);

/// <summary>Thrown when a cell fails; the message names the cell and carries the kernel's error.</summary>
public sealed class NotebookCellException(string message) : Exception(message);

/// <summary>Runs a C# .ipynb in-process, cell by cell, in a fresh kernel, and stops at the first failing cell.</summary>
/// <remarks>
/// In-process on purpose: the Jupyter kernel behind nbconvert opens an HTTP listener on all interfaces, which a test
/// must not do. This runner opens no listener; `#r "nuget:"` restores through the dotnet CLI like a normal build.
/// </remarks>
public static class NotebookRunner
{
    private const string CSharp = "csharp";

    // Native libraries (libduckdb.so, libSkiaSharp.so) of packages the notebook restored. The kernel loads managed
    // assemblies from AssemblyPaths but does not resolve P/Invoke targets; without this, DuckDB fails to load.
    private static readonly List<string> NativeDirs = [];
    private static readonly Lock NativeGate = new();
    private static bool _resolverInstalled;

    /// <summary>Executes every C# code cell of <paramref name="ipynbPath"/> and returns what each produced.</summary>
    public static async Task<IReadOnlyList<CellRun>> RunAsync(string ipynbPath, TimeSpan perCellTimeout)
    {
        var kernelInfos = new KernelInfoCollection { new Microsoft.DotNet.Interactive.Documents.KernelInfo(CSharp, "C#", ["c#", "C#"]) };
        InteractiveDocument doc;
        await using (var s = File.OpenRead(ipynbPath)) doc = Notebook.Read(s, kernelInfos);

        InstallNativeResolver();
        using var kernel = NewKernel();
        var runs = new List<CellRun>();
        for (var i = 0; i < doc.Elements.Count; i++)
        {
            var cell = doc.Elements[i];
            if (cell.KernelName is "markdown" or "md") continue;
            if (!string.Equals(cell.KernelName, CSharp, StringComparison.OrdinalIgnoreCase))
                throw new NotebookCellException($"cell {i}: kernel '{cell.KernelName}' is not supported, only C#");
            if (string.IsNullOrWhiteSpace(cell.Contents)) continue;
            runs.Add(await RunCellAsync(kernel, i, cell.Contents, perCellTimeout));
        }
        return runs;
    }

    private static CompositeKernel NewKernel()
    {
        var csharp = new CSharpKernel()
            .UseNugetDirective((k, resolved) =>
            {
                k.AddAssemblyReferences(resolved.SelectMany(r => r.AssemblyPaths));
                lock (NativeGate)
                    foreach (var dir in resolved.SelectMany(NativeDirsOf))
                        if (!NativeDirs.Contains(dir)) NativeDirs.Add(dir);
                return Task.CompletedTask;
            })
            .UseKernelHelpers(); // display(), HTML(): the notebook uses them as it would in an editor
        var composite = new CompositeKernel { csharp };
        composite.DefaultKernelName = CSharp;
        return composite;
    }

    private static async Task<CellRun> RunCellAsync(Kernel kernel, int index, string code, TimeSpan timeout)
    {
        var submit = kernel.SendAsync(new SubmitCode(code, CSharp));
        if (await Task.WhenAny(submit, Task.Delay(timeout)) != submit)
            throw new NotebookCellException($"cell {index} did not finish within {timeout.TotalSeconds:F0} s:\n{code}");
        var result = await submit;

        var outputs = new List<string>();
        var errors = new StringBuilder();
        foreach (var e in result.Events)
        {
            switch (e)
            {
                case CommandFailed f:
                    errors.AppendLine(f.Message);
                    if (f.Exception is not null) errors.AppendLine(f.Exception.ToString());
                    break;
                case ErrorProduced err:
                    errors.AppendLine(err.Message);
                    break;
                case DiagnosticsProduced d:
                    foreach (var diag in d.Diagnostics.Where(x => x.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error))
                        errors.AppendLine(diag.ToString());
                    break;
                case DisplayEvent shown:
                    outputs.Add(PlainText(shown));
                    break;
            }
        }
        if (errors.Length > 0)
            throw new NotebookCellException($"cell {index} failed:\n{errors}\n--- cell source ---\n{code}");
        return new CellRun(index, code, outputs);
    }

    private static string PlainText(DisplayEvent e) =>
        e.FormattedValues.FirstOrDefault(v => v.MimeType == "text/plain")?.Value
        ?? e.FormattedValues.FirstOrDefault()?.Value
        ?? e.Value?.ToString()
        ?? "";

    private static IEnumerable<string> NativeDirsOf(ResolvedPackageReference r)
    {
        var rid = RuntimeInformation.RuntimeIdentifier; // linux-x64
        foreach (var root in r.ProbingPaths.Append(r.PackageRoot).Where(p => !string.IsNullOrEmpty(p)))
        {
            foreach (var dir in new[] { Path.Combine(root, "runtimes", rid, "native"), Path.Combine(root, "runtimes", "linux-x64", "native") })
                if (Directory.Exists(dir)) yield return dir;
        }
    }

    private static void InstallNativeResolver()
    {
        lock (NativeGate)
        {
            if (_resolverInstalled) return;
            _resolverInstalled = true;
        }
        // Submissions load into the default context, so one handler there serves every kernel this class creates.
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += (_, name) =>
        {
            string[] dirs;
            lock (NativeGate) dirs = [.. NativeDirs];
            foreach (var dir in dirs)
                foreach (var file in new[] { name, $"{name}.so", $"lib{name}.so" })
                {
                    var path = Path.Combine(dir, file);
                    if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle)) return handle;
                }
            return IntPtr.Zero;
        };
    }
}
