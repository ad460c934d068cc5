using Xunit;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Calltape.Tests.Support;

namespace Calltape.Tests.EndToEnd;

/// <summary>The demo's Go HTTP server (demo/e-server), started on a free loopback port.</summary>
internal sealed class EServer : IDisposable
{
    public static string Binary => Fixtures.BuildGoDir(Path.Combine(Repo.Root, "demo", "e-server"), "e-server");

    private readonly HttpClient _http = new();

    public EServer()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        Port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        var psi = new ProcessStartInfo(Binary, $"-addr 127.0.0.1:{Port}") { UseShellExecute = false, RedirectStandardError = true };
        Process = Process.Start(psi)!;
        Process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                if (_http.GetStringAsync(Url("/healthz")).Result.Trim() == "ok") break;
            }
            catch (AggregateException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    public int Port { get; }
    public Process Process { get; }

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    public void ComputeE(long iters)
    {
        var body = _http.GetStringAsync(Url($"/e?iters={iters}")).Result;
        Assert.StartsWith(iters == 0 ? "0.0" : "", body);
    }

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill();
        Process.WaitForExit();
        Process.Dispose();
        _http.Dispose();
    }
}
