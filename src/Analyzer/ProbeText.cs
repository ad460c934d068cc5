using System.Globalization;
using Calltape.Capture.Model;

namespace Calltape.Analyzer;

/// <summary>Human-readable renderings of probes, parameters and times, shared by info and the probes table.</summary>
internal static class ProbeText
{
    public static string Abi(AbiKind abi) => abi switch
    {
        AbiKind.GoRegs => "go-regs",
        AbiKind.GoStack => "go-stack",
        AbiKind.SysV => "sysv",
        _ => "raw",
    };

    /// <summary>"name type @rbx,rcx *0", or "name type (not captured: reason)".</summary>
    public static string Param(ParamSpec p)
    {
        if (p.NotCaptured is not null) return $"{p.Name} {p.Type.Name} (not captured: {p.NotCaptured})";
        var where = p.Pieces.Count == 0 ? "-" : string.Join(",", p.Pieces.Select(s => s.ToString()));
        return p.Deref >= 0 ? $"{p.Name} {p.Type.Name} @{where} deref#{p.Deref}" : $"{p.Name} {p.Type.Name} @{where}";
    }

    public static string Params(ProbeSpec probe) => string.Join("; ", probe.Params.Select(Param));

    /// <summary>The build-id analysis matches on, or "-".</summary>
    public static string? BuildId(SessionHeader h, ProbeSpec p) =>
        (uint)p.Binary < (uint)h.Binaries.Count ? h.Binaries[p.Binary].Key : null;

    public static string BinaryPath(SessionHeader h, ProbeSpec p) =>
        (uint)p.Binary < (uint)h.Binaries.Count ? h.Binaries[p.Binary].Path : $"<binary #{p.Binary}>";

    /// <summary>UTC wall clock with nanoseconds, e.g. 2025-11-25T08:12:00.123456789Z.</summary>
    public static string Wall(long unixNs)
    {
        var secs = Math.DivRem(unixNs, 1_000_000_000L, out var ns);
        if (ns < 0) { secs--; ns += 1_000_000_000L; }
        var t = DateTimeOffset.FromUnixTimeSeconds(secs);
        return t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + $".{ns:D9}Z";
    }

    public static string Duration(long ns) => ns switch
    {
        < 1_000 => $"{ns} ns",
        < 1_000_000 => $"{ns / 1e3:0.###} µs",
        < 1_000_000_000 => $"{ns / 1e6:0.###} ms",
        _ => $"{ns / 1e9:0.###} s",
    };

    /// <summary>"N calls paired, M returns without an entry, K calls never returned".</summary>
    public static string Returns(long paired, long unmatched, long unclosed) =>
        $"{Count(paired)} calls paired with their return, {Count(unmatched)} returns without an entry, {Count(unclosed)} calls never returned";

    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
