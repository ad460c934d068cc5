using Parquet;
using Parquet.Schema;

namespace Calltape.Analyzer.Conversion;

/// <summary>Writes a small table (probes, binaries, loss) held whole in memory as one row group.</summary>
internal sealed class SmallTable
{
    private readonly List<DataField> _fields = [];
    private readonly List<Func<ParquetRowGroupWriter, Task>> _writes = [];
    private readonly List<string> _strings = [];
    private int _rows = -1;

    public SmallTable Int(string name, int[] values) => Add(new DataField<int>(name), values.Length, (rg, f) => rg.WriteAsync<int>(f, values));

    public SmallTable NullableInt(string name, int?[] values) => Add(new DataField<int?>(name), values.Length, (rg, f) => rg.WriteAsync<int>(f, values));

    public SmallTable Bool(string name, bool[] values) => Add(new DataField<bool>(name), values.Length, (rg, f) => rg.WriteAsync<bool>(f, values));

    public SmallTable Long(string name, long[] values) => Add(new DataField<long>(name), values.Length, (rg, f) => rg.WriteAsync<long>(f, values));

    public SmallTable ULong(string name, ulong[] values) => Add(new DataField<ulong>(name), values.Length, (rg, f) => rg.WriteAsync<ulong>(f, values));

    public SmallTable Text(string name, string?[] values)
    {
        _strings.Add(name);
        return Add(new DataField<string>(name, nullable: true), values.Length, (rg, f) => rg.WriteAsync(f, (IReadOnlyCollection<string>)values!));
    }

    public async Task WriteAsync(string path)
    {
        await using var stream = ParquetFiles.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(_fields), stream, ParquetFiles.Options(_strings));
        if (_rows <= 0) return; // an empty table still carries its schema, which is what a view needs
        using var rg = writer.CreateRowGroup();
        foreach (var w in _writes) await w(rg);
        rg.CompleteValidate();
    }

    private SmallTable Add(DataField field, int rows, Func<ParquetRowGroupWriter, DataField, Task> write)
    {
        if (_rows >= 0 && rows != _rows) throw new InvalidOperationException($"column {field.Name} has {rows} rows, the table {_rows}");
        _rows = rows;
        _fields.Add(field);
        _writes.Add(rg => write(rg, field));
        return this;
    }
}
