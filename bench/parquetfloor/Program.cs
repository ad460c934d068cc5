using System.Diagnostics;
using System.Globalization;
using Calltape.Analyzer.Conversion;
using Parquet;
using Parquet.Schema;

// calltape-parquetfloor CONVERTED_DIR
// The floor of calltape convert's writing side: every table of a conversion (calls.parquet and the function tables)
// read back into memory one row group at a time, untimed, then written again with the same Parquet.Net calls, writer
// settings (CallsTable/FunctionTable.WriterOptions) and row groups, timed in process CPU seconds. Nothing is parsed,
// paired or decoded, so no Parquet.Net-based convert of the same rows can use less CPU than this.
if (args.Length != 1 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: calltape-parquetfloor CONVERTED_DIR");
    return 2;
}
var dir = args[0];
var scratch = Directory.CreateTempSubdirectory("calltape-parquetfloor-").FullName;
var cpu = TimeSpan.Zero;
long rows = 0;
var tables = 0;
try
{
    foreach (var file in Directory.GetFiles(dir, "*.parquet").Order(StringComparer.Ordinal))
    {
        var name = Path.GetFileName(file);
        if (name != CallsTable.FileName && !name.StartsWith("fn-", StringComparison.Ordinal)) continue; // small tables: negligible
        tables++;
        await using var input = File.OpenRead(file);
        await using var reader = await ParquetReader.CreateAsync(input);
        var fields = reader.Schema.GetDataFields();
        var options = name == CallsTable.FileName ? CallsTable.WriterOptions() : FunctionTable.WriterOptions(fields.Skip(3)); // after ts, pid, tid
        await using var output = ParquetFiles.Create(Path.Combine(scratch, name));
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), output, options);
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            var columns = new List<(DataField Field, Array Data)>();
            foreach (var f in fields) columns.Add((f, Prepared(f, await Read(rg, f, checked((int)rg.RowCount)))));
            rows += rg.RowCount;
            GC.Collect(); // the reading's garbage is not the writer's cost
            var before = Process.GetCurrentProcess().TotalProcessorTime;
            using (var w = writer.CreateRowGroup())
            {
                foreach (var (f, data) in columns) await Write(w, f, data);
                w.CompleteValidate();
            }
            cpu += Process.GetCurrentProcess().TotalProcessorTime - before;
        }
    }
}
finally
{
    Directory.Delete(scratch, recursive: true);
}
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"floor {rows} rows {tables} tables cpu {cpu.TotalSeconds:F2} s"));
return 0;

static async Task<Array> Read(ParquetRowGroupReader rg, DataField f, int n)
{
    async Task<Array> Values<T>() where T : struct
    {
        if (f.IsNullable) { var a = new T?[n]; await rg.ReadAsync<T>(f, a.AsMemory()); return a; }
        var b = new T[n];
        await rg.ReadAsync<T>(f, b.AsMemory());
        return b;
    }
    if (f.ClrType == typeof(string) || f.ClrType == typeof(ReadOnlyMemory<char>)) { var s = new string?[n]; await rg.ReadAsync(f, s.AsMemory()); return s; }
    if (f.ClrType == typeof(long)) return await Values<long>();
    if (f.ClrType == typeof(ulong)) return await Values<ulong>();
    if (f.ClrType == typeof(int)) return await Values<int>();
    if (f.ClrType == typeof(uint)) return await Values<uint>();
    if (f.ClrType == typeof(bool)) return await Values<bool>();
    if (f.ClrType == typeof(double)) return await Values<double>();
    throw new NotSupportedException($"{f.Name}: column type {f.ClrType.Name}");
}

// Strings as convert hands them over: ReadOnlyMemory<char> cells, NULL as a null cell (CallsTable, ParamColumn).
// Strings as convert hands them over: ReadOnlyMemory<char> cells over a few large char blocks (TextBuffer), NULL as a
// null cell, and one shared instance per distinct value of a low-cardinality column (the probe's function name).
static Array Prepared(DataField f, Array data)
{
    if (data is not string?[] s) return data;
    var shared = new Dictionary<string, ReadOnlyMemory<char>>(StringComparer.Ordinal);
    var block = new char[Math.Max(1, s.Sum(x => x?.Length ?? 0))];
    var at = 0;
    ReadOnlyMemory<char> Cell(string x)
    {
        if (shared.TryGetValue(x, out var m)) return m;
        x.CopyTo(block.AsSpan(at));
        m = block.AsMemory(at, x.Length);
        at += x.Length;
        if (shared.Count < 64) shared[x] = m;
        return m;
    }
    return f.IsNullable
        ? s.Select(x => x is null ? (ReadOnlyMemory<char>?)null : Cell(x)).ToArray()
        : s.Select(x => Cell(x!)).ToArray();
}

// By the field's type, not the array's: the runtime lets a uint[] pass as an int[] (and back) in a type test.
static Task Write(ParquetRowGroupWriter w, DataField f, Array data)
{
    Task Of<T>() where T : struct =>
        f.IsNullable ? w.WriteAsync<T>(f, new ReadOnlyMemory<T?>((T?[])data)) : w.WriteAsync<T>(f, new ReadOnlyMemory<T>((T[])data));
    var t = f.ClrType;
    if (t == typeof(string) || t == typeof(ReadOnlyMemory<char>))
        return f.IsNullable ? w.WriteAsync<ReadOnlyMemory<char>>(f, new ReadOnlyMemory<ReadOnlyMemory<char>?>((ReadOnlyMemory<char>?[])data))
            : w.WriteAsync<ReadOnlyMemory<char>>(f, new ReadOnlyMemory<ReadOnlyMemory<char>>((ReadOnlyMemory<char>[])data));
    if (t == typeof(long)) return Of<long>();
    if (t == typeof(ulong)) return Of<ulong>();
    if (t == typeof(int)) return Of<int>();
    if (t == typeof(uint)) return Of<uint>();
    if (t == typeof(bool)) return Of<bool>();
    if (t == typeof(double)) return Of<double>();
    throw new NotSupportedException($"{f.Name}: column type {t.Name}");
}
