using Calltape.Analyzer.Conversion;
using Calltape.Capture.Model;

namespace Calltape.Analyzer.Stacks;

/// <summary>Writes stacks.parquet: one row per frame of each distinct user stack (calls.stack_id refers to stack_id).</summary>
/// <remarks>Columns: stack_id, depth (0 = the probed function), address (as recorded), function, file, line (NULL when
/// unknown), inlined. Always written, empty for captures without --stack, so the stacks view always exists.</remarks>
internal static class StacksTable
{
    public const string FileName = "stacks.parquet";

    /// <param name="probeOf">For each stack id, a probe that recorded it (its binary and address give the load bias).</param>
    public static async Task WriteAsync(string dir, SessionHeader header, IReadOnlyList<UserStack> stacks,
        IReadOnlyDictionary<int, int> probeOf, StackResolver resolver)
    {
        var byId = header.Probes.ToDictionary(p => p.Id);
        var id = new List<int>(); var depth = new List<int>(); var addr = new List<ulong>(); var fn = new List<string?>();
        var file = new List<string?>(); var line = new List<int?>(); var inl = new List<bool>();
        foreach (var s in stacks)
        {
            if (!probeOf.TryGetValue(s.Id, out var p) || !byId.TryGetValue(p, out var probe)) continue;
            foreach (var f in resolver.Resolve(s, probe))
            {
                id.Add(s.Id); depth.Add(f.Depth); addr.Add(f.Address); fn.Add(f.Function);
                file.Add(f.File); line.Add(f.Line > 0 ? f.Line : null); inl.Add(f.Inlined);
            }
        }
        await new SmallTable()
            .Int("stack_id", id.ToArray())
            .Int("depth", depth.ToArray())
            .ULong("address", addr.ToArray())
            .Text("function", fn.ToArray())
            .Text("file", file.ToArray())
            .NullableInt("line", line.ToArray())
            .Bool("inlined", inl.ToArray())
            .WriteAsync(Path.Combine(dir, FileName));
    }
}
