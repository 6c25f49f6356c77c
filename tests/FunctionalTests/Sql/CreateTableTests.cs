using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

public sealed class CreateTableTests : DatabaseTest
{
    [Theory]
    [InlineData("diskann(metric=cosine)", "dimension")]
    [InlineData("diskann(dimension=0)", "dimension")]
    [InlineData("diskann(dimension=16001)", "dimension")]
    [InlineData("diskann(dimension=abc)", "dimension")]
    [InlineData("diskann(dimension=8, metric=manhattan)", "metric")]
    [InlineData("diskann(dimension=8, colour=blue)", "colour")]
    [InlineData("diskann(dimension=8, max_degree=1)", "max_degree")]
    [InlineData("diskann(dimension=8, alpha=0.5)", "alpha")]
    [InlineData("diskann(dimension=8, search_list_size=0)", "search_list_size")]
    [InlineData("diskann(dimension=8, build_search_list_size=-3)", "build_search_list_size")]
    [InlineData("diskann(dimension=8, dimension=9)", "dimension")]
    [InlineData("diskann(dimension)", "dimension")]
    public void Bad_options_fail_create_with_a_message_naming_the_option(string module, string option)
    {
        using var c = Db.Open();
        var error = Assert.Throws<SqliteException>(() => c.Execute($"CREATE VIRTUAL TABLE idx USING {module}"));
        Assert.Contains(option, error.Message);
        Assert.Equal(0L, c.Scalar("SELECT count(*) FROM sqlite_schema"));
    }

    [Fact]
    public void All_options_are_accepted_and_the_table_works()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=8, metric=l2, max_degree=16, build_search_list_size=40, alpha=1.3, search_list_size=30)");
        c.InsertAll("idx", SqlHelpers.Clustered(50, 8, seed: 1));
        Assert.Equal(50L, c.Count("idx"));
    }

    [Fact]
    public void Create_makes_shadow_tables_and_drop_removes_them()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE docs_idx USING diskann(dimension=4)");
        c.InsertAll("docs_idx", SqlHelpers.Clustered(10, 4, seed: 2));
        var shadows = (long)c.Scalar("SELECT count(*) FROM sqlite_schema WHERE name IN ('docs_idx_config', 'docs_idx_vectors', 'docs_idx_graph')")!;
        Assert.Equal(3L, shadows);

        c.Execute("DROP TABLE docs_idx");
        Assert.Equal(0L, c.Scalar("SELECT count(*) FROM sqlite_schema"));
    }

    [Fact]
    public void Rename_moves_the_shadow_tables_with_the_table()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE a USING diskann(dimension=4)");
        var vectors = SqlHelpers.Clustered(30, 4, seed: 3);
        c.InsertAll("a", vectors);
        c.Execute("ALTER TABLE a RENAME TO b");
        Assert.Equal(3L, c.Scalar("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'b_%'"));
        Assert.Equal(30L, c.Count("b"));
        Assert.Equal(10, c.Knn("b", vectors[0], 10).Count);
    }

    [Fact]
    public void Loading_twice_is_harmless()
    {
        using var c = Db.Open();
        DiskAnn.SqliteConnectionExtensions.LoadDiskAnn(c);
        DiskAnn.SqliteConnectionExtensions.LoadDiskAnn(c);
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=4)");
        c.InsertAll("idx", SqlHelpers.Clustered(5, 4, seed: 4));
        Assert.Equal(5L, c.Count("idx"));
    }

    [Fact]
    public void A_connection_without_the_module_gets_sqlites_own_error()
    {
        using (var c = Db.Open())
        {
            c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=4)");
        }

        using var plain = new SqliteConnection($"Data Source={Db.Path};Pooling=False");
        plain.Open();
        var error = Assert.Throws<SqliteException>(() => plain.Count("idx"));
        Assert.Contains("no such module: diskann", error.Message);
    }
}
