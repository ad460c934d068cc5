using Calltape.Capture.Format;
using Calltape.Capture.Model;
using DuckDB.NET.Data;

namespace Calltape.Tests.Notebooks;

/// <summary>
/// A small, fully known e-server recording: computeE(iterations) calls interleaved with argument-less handleE calls.
/// Written either as a real capture (CaptureWriter, for `calltape convert`) or directly as the Parquet that
/// convert is specified to produce (DuckDB COPY), so the notebook can be tested before convert exists.
/// </summary>
public static class SyntheticCapture
{
    public const string ComputeE = "main.computeE";
    public const string HandleE = "main.handleE";
    public const int Pid = 4242;

    /// <summary>The iterations value of the i-th computeE call: 50 distinct values, 1..4901, each 10 times for 500 calls.</summary>
    public static long Iterations(int i) => (i % 50) * 100 + 1;

    public const int ComputeCalls = 500;
    public const ulong StartKtime = 1_000_000_000;

    /// <summary>CLOCK_REALTIME at <see cref="StartKtime"/>: convert turns ktime into wall-clock ts with it.</summary>
    public const long StartWallNs = 1_760_000_000_000_000_000;

    /// <summary>Writes the recording as a capture directory with the real capture writer.</summary>
    public static void WriteCapture(string dir)
    {
        var int64 = new TypeDesc("int64", TypeKind.Int, 8);
        var probes = new[]
        {
            // Register ABI: iterations arrives in RAX (Go >= 1.17), the only register the plan keeps.
            new ProbeSpec(0, ComputeE, 0, 0x611fa0, 0, 0x211fa0, AbiKind.GoRegs, CapturePlan.RawRegisters([Reg.Rax]),
                [new ParamSpec("iterations", int64, [Source.Of(Reg.Rax)])]),
            new ProbeSpec(1, HandleE, 0, 0x612000, 4, 0x212004, AbiKind.GoRegs, CapturePlan.RawRegisters([]), []),
        };
        var header = new SessionHeader(CaptureFormat.Version, Guid.NewGuid().ToString("N"), "notebook-test", "6.18.0",
            new ClockSync((long)StartKtime, StartWallNs), ["calltape-record", "-p", ComputeE, "-p", HandleE],
            "synthetic", [new BinaryInfo("/synthetic/e-server", null, "synthetic-go-build-id", 6_514_326, 0)], probes);

        using var w = CaptureWriter.Create(dir, header);
        var ktime = StartKtime;
        Span<ulong> rax = stackalloc ulong[1];
        for (var i = 0; i < ComputeCalls; i++)
        {
            var tid = (uint)(Pid + 1 + i % 4);
            w.WriteEvent(1, ktime, Pid, tid, [], false, [], [], []);
            rax[0] = (ulong)Iterations(i);
            w.WriteEvent(0, ktime + 1_000, Pid, tid, rax, false, [], [], []);
            ktime += 50_000;
        }
        w.WriteLoss(ktime, [new LossCounter(0, 0, ComputeCalls, 0), new LossCounter(1, 0, ComputeCalls, 0)]);
        w.Complete(ktime, "test");
    }

    /// <summary>
    /// Writes what `calltape convert` is specified to produce for <see cref="WriteCapture"/>: calls.parquet
    /// (ts, ktime, pid, tid, probe_id, function, build_id, args) and one fn-FUNCTION.parquet per function with typed
    /// args; ts is wall-clock ns, ktime the raw BPF clock.
    /// </summary>
    public static void WriteParquet(string dir)
    {
        Directory.CreateDirectory(dir);
        using var db = new DuckDBConnection("DataSource=:memory:");
        db.Open();
        // Same rows as WriteCapture, generated in SQL: handleE at even row numbers, computeE right after it.
        Exec(db, $$"""
            CREATE TABLE calls AS
            SELECT CAST({{StartWallNs}} + (i // 2) * 50000 + (i % 2) * 1000 AS BIGINT) AS ts,
                   CAST({{StartKtime}} + (i // 2) * 50000 + (i % 2) * 1000 AS BIGINT) AS ktime,
                   CAST({{Pid}} AS INTEGER) AS pid,
                   CAST({{Pid}} + 1 + (i // 2) % 4 AS INTEGER) AS tid,
                   CAST(CASE WHEN i % 2 = 0 THEN 1 ELSE 0 END AS INTEGER) AS probe_id,
                   CASE WHEN i % 2 = 0 THEN '{{HandleE}}' ELSE '{{ComputeE}}' END AS function,
                   'synthetic-go-build-id' AS build_id,
                   CASE WHEN i % 2 = 0 THEN '{}'
                        ELSE '{"iterations":' || CAST(((i // 2) % 50) * 100 + 1 AS VARCHAR) || '}' END AS args
            FROM range({{2 * SyntheticCapture.ComputeCalls}}) t(i)
            """);
        Exec(db, $"COPY calls TO '{Path.Combine(dir, "calls.parquet")}' (FORMAT parquet)");
        Exec(db, $"""
            COPY (SELECT ts, pid, tid, CAST(json_extract(args, '$.iterations') AS BIGINT) AS iterations
                  FROM calls WHERE function = '{ComputeE}' ORDER BY ts)
            TO '{Path.Combine(dir, $"fn-{ComputeE}.parquet")}' (FORMAT parquet)
            """);
        Exec(db, $"""
            COPY (SELECT ts, pid, tid FROM calls WHERE function = '{HandleE}' ORDER BY ts)
            TO '{Path.Combine(dir, $"fn-{HandleE}.parquet")}' (FORMAT parquet)
            """);
    }

    private static void Exec(DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
