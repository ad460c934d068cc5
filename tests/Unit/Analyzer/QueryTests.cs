using Xunit;

namespace Calltape.Tests.Unit.Analyzer;

public class QueryTests
{
    private const string GroupBy = "SELECT iterations, count(*) AS n FROM \"main.computeE\" GROUP BY 1 ORDER BY 1";

    [Fact]
    public void Group_by_in_table_format_is_aligned_with_a_header()
    {
        var cap = SyntheticCapture.Create();
        var r = Cli.Run("query", cap, GroupBy);
        Assert.Equal(0, r.Code);
        Assert.Equal(
            "iterations  n\n" +
            "----------  -\n" +
            "         1  3\n" +
            "         2  3\n" +
            "         3  2\n" +
            "         4  2\n" +
            "(4 rows)\n", r.Out);
        Assert.Contains("converted 15 events", r.Err); // first use converts and says so on stderr
    }

    [Fact]
    public void Group_by_in_csv_and_json()
    {
        var cap = SyntheticCapture.Create();
        var csv = Cli.Run("query", cap, GroupBy, "--format", "csv");
        Assert.Equal(0, csv.Code);
        Assert.Equal("iterations,n\n1,3\n2,3\n3,2\n4,2\n", csv.Out);

        var json = Cli.Run("query", cap, GroupBy, "-f", "json");
        Assert.Equal(0, json.Code);
        Assert.Equal("[\n{\"iterations\":1,\"n\":3},\n{\"iterations\":2,\"n\":3},\n{\"iterations\":3,\"n\":2},\n{\"iterations\":4,\"n\":2}\n]\n", json.Out);
        Assert.Equal("", json.Err); // the cache from the csv run was reused
    }

    [Fact]
    public void Every_function_has_a_view_and_the_fixed_views_exist()
    {
        var cap = SyntheticCapture.Create();
        var r = Cli.Run("query", cap,
            "SELECT (SELECT count(*) FROM \"main.lookup\"), (SELECT count(*) FROM fn.\"main.computeE\"), (SELECT count(*) FROM calls), " +
            "(SELECT count(*) FROM probes), (SELECT count(*) FROM binaries), (SELECT sum(drops) FROM loss)", "-f", "csv");
        Assert.Equal(0, r.Code);
        Assert.EndsWith("\n5,10,15,2,1,2\n", r.Out);

        var names = Cli.Run("query", cap, "SELECT name, ok FROM \"main.lookup\" WHERE name IS NOT NULL ORDER BY ts", "-f", "csv");
        Assert.Equal("name,ok\nalice,true\n,false\n\"héllo \"\"q\"\"\",false\n", names.Out);
    }

    [Fact]
    public void Query_accepts_a_converted_directory_and_json_nulls()
    {
        var cap = SyntheticCapture.Create();
        var outDir = Path.Combine(Path.GetDirectoryName(cap)!, "pq");
        Assert.Equal(0, Cli.Run("convert", cap, "-o", outDir).Code);
        var r = Cli.Run("query", outDir, "SELECT id, name FROM \"main.lookup\" WHERE id = 9", "-f", "json");
        Assert.Equal(0, r.Code);
        Assert.Equal("[\n{\"id\":9,\"name\":null}\n]\n", r.Out);
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void A_stale_cache_is_rebuilt()
    {
        var cap = SyntheticCapture.Create();
        Assert.Equal(0, Cli.Run("query", cap, "SELECT 1").Code);
        var chunk = Directory.GetFiles(cap, "chunk-*.ctc")[0];
        File.SetLastWriteTimeUtc(chunk, DateTime.UtcNow.AddMinutes(1));
        var r = Cli.Run("query", cap, "SELECT count(*) FROM calls", "-f", "csv");
        Assert.Equal(0, r.Code);
        Assert.Contains("converted 15 events", r.Err);
    }

    [Fact]
    public void Bad_sql_is_one_line_error_with_exit_code_2()
    {
        var cap = SyntheticCapture.Create();
        var r = Cli.Run("query", cap, "SELECT * FROM nosuchtable");
        Assert.Equal(2, r.Code);
        var last = r.ErrLines[^1];
        Assert.StartsWith("calltape: error: ", last);
        Assert.Contains("nosuchtable", last);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public void Extensions_cannot_be_installed_from_a_query()
    {
        var cap = SyntheticCapture.Create();
        var r = Cli.Run("query", cap, "SET autoinstall_known_extensions = true");
        Assert.Equal(2, r.Code);
        Assert.StartsWith("calltape: error: ", r.ErrLines[^1]);
    }
}
