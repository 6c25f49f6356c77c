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

    [Theory]
    [InlineData("k")]
    [InlineData("K")]
    [InlineData("vector")]
    [InlineData("Distance")]
    [InlineData("search_list_size")]
    [InlineData("rowid")]
    [InlineData("oid")]
    [InlineData("_ROWID_")]
    public void A_name_taken_by_a_column_is_refused_by_create_and_rename_and_the_table_keeps_working(string name)
    {
        using var c = Db.Open();
        var e = Assert.Throws<SqliteException>(() => c.Execute($"CREATE VIRTUAL TABLE \"{name}\" USING diskann(dimension=2)"));
        Assert.Contains($"a diskann table cannot be named '{name}'", e.Message);
        Assert.Equal(0L, c.Scalar("SELECT count(*) FROM sqlite_schema"));

        c.Execute("CREATE VIRTUAL TABLE docs_idx USING diskann(dimension=2, metric=l2)");
        c.Execute("INSERT INTO docs_idx(rowid, vector) VALUES (1, vector_from_json('[1, 0]')), (2, vector_from_json('[2, 0]'))");
        e = Assert.Throws<SqliteException>(() => c.Execute($"ALTER TABLE docs_idx RENAME TO \"{name}\""));
        Assert.Contains($"cannot rename \"docs_idx\" to '{name}'", e.Message);

        // Nothing changed: queried, checked, renamed and dropped as before, from this connection and a new one.
        Assert.Equal("ok", c.Scalar("PRAGMA integrity_check"));
        using var other = Db.Open();
        Assert.Equal([2L, 1L], other.Knn("docs_idx", [3, 0], k: 2).Select(r => r.RowId));
        Assert.Equal([1L, 2L], c.Knn("docs_idx", [0, 0], k: 2).Select(r => r.RowId));
        c.Execute("ALTER TABLE docs_idx RENAME TO renamed");
        Assert.Equal(2L, c.Count("renamed"));
        c.Execute("DROP TABLE renamed");
        Assert.Equal(0L, c.Scalar("SELECT count(*) FROM sqlite_schema"));
    }

    [Theory]
    [InlineData("CREATE TABLE b_graph(x)", "b_graph")]
    [InlineData("CREATE TABLE B_CONFIG(x)", "B_CONFIG")]
    [InlineData("CREATE VIEW b_vectors AS SELECT 1", "b_vectors")]
    public void Create_or_rename_to_a_name_whose_shadow_tables_exist_is_refused_and_changes_nothing(string other, string clash)
    {
        using var c = Db.Open();
        c.Execute(other);
        var create = Assert.Throws<SqliteException>(() => c.Execute("CREATE VIRTUAL TABLE b USING diskann(dimension=2)"));
        Assert.Contains($"cannot create \"b\": the table keeps its data in b_config, b_vectors and b_graph, and \"{clash}\" already exists", create.Message);
        Assert.Equal(1L, c.Scalar("SELECT count(*) FROM sqlite_schema"));
        c.Execute("CREATE VIRTUAL TABLE a USING diskann(dimension=2)");
        c.Execute("INSERT INTO a(rowid, vector) VALUES (1, vector_from_json('[1, 0]'))");
        var schema = c.Scalar("SELECT group_concat(type || ' ' || name, ', ') FROM (SELECT * FROM sqlite_schema ORDER BY name)");

        var e = Assert.Throws<SqliteException>(() => c.Execute("ALTER TABLE a RENAME TO b"));
        Assert.Contains($"\"{clash}\" already exists", e.Message);
        Assert.Equal(schema, c.Scalar("SELECT group_concat(type || ' ' || name, ', ') FROM (SELECT * FROM sqlite_schema ORDER BY name)"));
        Assert.Equal(1L, c.Knn("a", [1, 0], k: 1)[0].RowId);
        c.Execute("INSERT INTO a(a) VALUES ('integrity-check')");
    }

    [Fact]
    public void A_table_an_older_version_named_after_a_column_can_still_be_queried_and_dropped()
    {
        // What ALTER TABLE ... RENAME TO k used to leave behind: a table named k, with its shadow tables.
        using (var old = Db.Open())
        {
            old.Execute("CREATE VIRTUAL TABLE x USING diskann(dimension=2)");
            old.Execute("INSERT INTO x(rowid, vector) VALUES (1, vector_from_json('[1, 0]'))");
            foreach (var suffix in new[] { "config", "vectors", "graph" })
            {
                old.Execute($"ALTER TABLE x_{suffix} RENAME TO k_{suffix}");
            }

            old.Execute("PRAGMA writable_schema = ON");
            old.Execute("UPDATE sqlite_schema SET name = 'k', tbl_name = 'k', sql = 'CREATE VIRTUAL TABLE k USING diskann(dimension=2)' WHERE name = 'x'");
        }

        using var c = Db.Open();
        Assert.Equal(1L, c.Count("k"));
        Assert.Equal(1L, c.Knn("k", [1, 0], k: 1)[0].RowId);
        c.Execute("DROP TABLE k");
        Assert.Equal(0L, c.Scalar("SELECT count(*) FROM sqlite_schema"));
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
