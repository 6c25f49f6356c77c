using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>
/// Filter columns (<c>lang TEXT, price REAL, n INTEGER, tenant INTEGER PARTITION KEY</c>) answer as the same columns of
/// an ordinary table: every operator and type, NULLs and affinity select the same rows, and in a KNN query they filter
/// before the k nearest are picked, so k rows come back whenever k rows match.
/// </summary>
public sealed class FilterColumnTests : DatabaseTest
{
    /// <summary>The rowids a query returns, with $q the origin (0, 0).</summary>
    private static List<long> RowIdsOf(SqliteConnection c, string sql) => c.RowIds(sql, [0, 0]);

    private const int Rows = 60;

    private static readonly string?[] Languages = ["en", "de", "fr", null, "EN", "10", "é", "en "];

    /// <summary>The row at position p has rowid p + 1 and the vector (p + 1, 0): distances to (0, 0) follow p.</summary>
    private SqliteConnection OpenWithModel(string declaration = "lang TEXT, price REAL, n INTEGER, tenant INTEGER PARTITION KEY")
    {
        var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension=2, metric=l2, {declaration})");
        c.Execute("CREATE TABLE m(x INTEGER, lang TEXT, price REAL, n INTEGER, tenant INTEGER)");
        using var transaction = c.BeginTransaction();
        for (var p = 0; p < Rows; p++)
        {
            var values = Values(p);
            c.Execute("INSERT INTO t(rowid, vector, lang, price, n, tenant) VALUES ($id, $v, $lang, $price, $n, $tenant)",
                ("$id", p + 1), ("$v", DiskAnnVector.ToBlob([p + 1, 0])), ("$lang", values.Lang), ("$price", values.Price), ("$n", values.N), ("$tenant", values.Tenant));
            c.Execute("INSERT INTO m(rowid, x, lang, price, n, tenant) VALUES ($id, $p, $lang, $price, $n, $tenant)",
                ("$id", p + 1), ("$p", p), ("$lang", values.Lang), ("$price", values.Price), ("$n", values.N), ("$tenant", values.Tenant));
        }

        transaction.Commit();
        return c;
    }

    private static (string? Lang, object? Price, object? N, object? Tenant) Values(int p)
        => (Languages[p % Languages.Length],
            p % 7 == 3 ? null : p * 1.5 - 20,
            p % 6 == 5 ? null : (p % 9) - 4,
            p % 11 == 10 ? null : p % 4);

    [Theory]
    [InlineData("lang = 'en'")]
    [InlineData("lang = 'EN'")]
    [InlineData("lang != 'en'")]
    [InlineData("lang < 'e'")]
    [InlineData("lang >= 'en'")]
    [InlineData("lang > 'en'")]
    [InlineData("lang <= 'é'")]
    [InlineData("lang = x'656e'")]
    [InlineData("lang < x'00'")]
    [InlineData("lang IN ('en', 'de')")]
    [InlineData("lang IN ('en', NULL, 10)")] // SQLite gives an IN list's values the column's affinity: the module is handed '10'
    [InlineData("lang IS NULL")]
    [InlineData("lang IS NOT NULL")]
    [InlineData("lang IS 'fr'")]
    [InlineData("lang IS NOT 'fr'")]
    [InlineData("lang = NULL")]
    [InlineData("lang BETWEEN 'a' AND 'f'")]
    [InlineData("price < 10")]
    [InlineData("price <= 10.0")]
    [InlineData("price > '5'")]
    [InlineData("price = 1")]
    [InlineData("price = -20")]
    [InlineData("price != 4")]
    [InlineData("price > 'abc'")]
    [InlineData("price < 'abc'")]
    [InlineData("price IS NULL")]
    [InlineData("price BETWEEN -5 AND 25.5")]
    [InlineData("price IN (1, '4', 7.0, 100)")]
    [InlineData("n = 0")]
    [InlineData("n = 0.0")]
    [InlineData("n = '2'")]
    [InlineData("n = 2.5")]
    [InlineData("n > 1.5")]
    [InlineData("n < -2")]
    [InlineData("n != 3")]
    [InlineData("n IS NOT NULL")]
    [InlineData("n IS NOT 3")]
    [InlineData("n IN (1, 2, 3)")]
    [InlineData("n >= 9223372036854775807")]
    [InlineData("n > -1e19")]
    [InlineData("tenant = 2")]
    [InlineData("tenant = '2'")]
    [InlineData("tenant IN (1, 3)")]
    [InlineData("tenant IS NULL")]
    [InlineData("tenant = 7")]
    [InlineData("tenant > 1")]
    [InlineData("tenant = 2 AND lang IN ('en', 'de') AND price < 60")]
    [InlineData("tenant IN (0, 1) AND n BETWEEN -2 AND 2 AND lang IS NOT NULL")]
    [InlineData("lang = 'en' AND rowid > 20")]
    [InlineData("lang = 'en' AND rowid IN (SELECT value FROM json_each('[1,2,9,17,25,33,41,49]'))")]
    [InlineData("price > 0 AND price < 0")]
    public void Filter_conditions_select_the_rows_an_ordinary_table_selects(string condition)
    {
        using var c = OpenWithModel();
        AssertSelectsAsTheOrdinaryTable(c, condition);
    }

    /// <summary>
    /// Values at the ends of the INTEGER range and -0.0 in a REAL column read back, and are selected by REAL operands
    /// (-9223372036854775808.0 is exactly -2^63; 9223372036854775807.0 rounds to 2^63, which no integer equals), as in
    /// an ordinary table; the partition key too, whose listed partitions come from the operands.
    /// </summary>
    [Fact]
    public void Values_at_the_ends_of_the_integer_range_and_negative_zero_are_read_and_selected_as_in_an_ordinary_table()
    {
        using var c = OpenWithModel();
        foreach (var table in new[] { "t", "m" })
        {
            c.Execute($"UPDATE {table} SET tenant = -9223372036854775808, n = -9223372036854775808, price = -0.0 WHERE rowid = 5");
            c.Execute($"UPDATE {table} SET tenant = 9223372036854775807, n = 9223372036854775807 WHERE rowid = 6");
        }

        Assert.Equal(c.TextRows($"SELECT {Shape}, atan2(price, -1) FROM m ORDER BY rowid"), c.TextRows($"SELECT {Shape}, atan2(price, -1) FROM t ORDER BY rowid"));
        foreach (var condition in new[]
        {
            "tenant = -9223372036854775808.0", "tenant IS -9223372036854775808.0", "tenant IN (-9223372036854775808.0, 2)",
            "tenant = '-9223372036854775809'", "tenant = 9223372036854775807.0", "tenant IN (9223372036854775807, 1)",
            "n = -9223372036854775808.0", "n < -9223372036854775807", "n >= 9223372036854775807.0", "price = 0", "price >= 0.0",
        })
        {
            AssertSelectsAsTheOrdinaryTable(c, condition);
        }

        c.Execute("INSERT INTO t(t) VALUES ('integrity-check')");
    }

    /// <summary>
    /// A number compared with a TEXT column: SQLite compares it as text when it has no affinity (a literal, a parameter:
    /// 5 is '5') and the column's text as a number when it has a numeric one (a CAST, an INTEGER column: ' 5' and '5.0'
    /// are 5), and the value the module is handed does not say which. A scan leaves the condition to SQLite (the rows
    /// of an ordinary table); a vector search refuses it, saying to write the value as text, rather than answer one
    /// way where SQLite would answer the other.
    /// </summary>
    [Theory]
    [InlineData("lang = 10")]
    [InlineData("lang > 5")]
    [InlineData("lang = CAST(5 AS INTEGER)")]
    [InlineData("lang > CAST(4 AS INTEGER)")]
    [InlineData("lang IN (SELECT n FROM m)")]
    [InlineData("lang BETWEEN 5 AND 'f'")]
    public void A_number_compared_with_a_text_column_is_left_to_sqlite_in_a_scan_and_refused_in_a_search(string condition)
    {
        using var c = OpenWithModel();
        foreach (var table in new[] { "t", "m" })
        {
            c.Execute($"UPDATE {table} SET lang = ' 5' WHERE rowid = 2");
            c.Execute($"UPDATE {table} SET lang = '5.0' WHERE rowid = 3");
        }

        Assert.Equal(RowIdsOf(c, $"SELECT rowid FROM m WHERE {condition} ORDER BY rowid"), RowIdsOf(c, $"SELECT rowid FROM t WHERE {condition} ORDER BY rowid"));
        using (var transaction = c.BeginTransaction())
        {
            Assert.Equal(c.Execute($"DELETE FROM m WHERE {condition}"), c.Execute($"DELETE FROM t WHERE {condition}"));
            Assert.Equal(RowIdsOf(c, "SELECT rowid FROM m ORDER BY rowid"), RowIdsOf(c, "SELECT rowid FROM t ORDER BY rowid"));
            transaction.Rollback();
        }

        var e = Assert.Throws<SqliteException>(() => RowIdsOf(c, $"SELECT rowid FROM t WHERE vector MATCH $q AND k = 3 AND {condition}"));
        Assert.Contains("TEXT filter column lang is compared with the number", e.Message);
        Assert.Contains("write the value as text", e.Message);

        // The other spelling the message gives returns the k nearest of the rows an ordinary table selects.
        Assert.Equal(RowIdsOf(c, $"SELECT rowid FROM m WHERE {condition} ORDER BY x LIMIT 3"),
            RowIdsOf(c, $"SELECT rowid FROM t WHERE vector MATCH $q AND k = 3 AND rowid IN (SELECT rowid FROM t WHERE {condition})"));
        c.Execute("INSERT INTO t(t) VALUES ('integrity-check')");
    }

    /// <summary>
    /// A scan (SELECT, DELETE ... WHERE) ordering a TEXT column against a text held in an ordinary INTEGER column (a text
    /// that did not convert) selects what it selects from an ordinary table: SQLite compares the column's numeric-looking
    /// texts ('10') as numbers there, which sort before any text, and the module leaves such an order to SQLite in a scan.
    /// </summary>
    [Theory]
    [InlineData("lang < (SELECT c FROM q)")]
    [InlineData("lang >= (SELECT c FROM q)")]
    [InlineData("lang BETWEEN 'a' AND (SELECT c FROM q)")]
    public void A_scan_ordering_a_text_column_against_a_text_of_numeric_affinity_selects_as_an_ordinary_table(string condition)
    {
        using var c = OpenWithModel();
        c.Execute("CREATE TABLE q(c INTEGER)");
        c.Execute("INSERT INTO q VALUES ('1a')");
        Assert.Equal("text", c.Scalar("SELECT typeof(c) FROM q"));
        foreach (var table in new[] { "t", "m" })
        {
            c.Execute($"UPDATE {table} SET lang = '5' WHERE rowid IN (2, 30)"); // after '1a' byte by byte, before it as the number 5
        }

        Assert.Equal(RowIdsOf(c, $"SELECT rowid FROM m WHERE {condition} ORDER BY rowid"), RowIdsOf(c, $"SELECT rowid FROM t WHERE {condition} ORDER BY rowid"));
        using var transaction = c.BeginTransaction();
        Assert.Equal(c.Execute($"DELETE FROM m WHERE {condition}"), c.Execute($"DELETE FROM t WHERE {condition}"));
        Assert.Equal(RowIdsOf(c, "SELECT rowid FROM m ORDER BY rowid"), RowIdsOf(c, "SELECT rowid FROM t ORDER BY rowid"));
        transaction.Rollback();
    }

    /// <summary>
    /// The rows a condition selects from t, by scan, by KNN (the k nearest, k rows whenever k rows match) and by DELETE
    /// (rolled back), are those it selects from the ordinary table m holding the same rows.
    /// </summary>
    private static void AssertSelectsAsTheOrdinaryTable(SqliteConnection c, string condition)
    {
        var expected = RowIdsOf(c, $"SELECT rowid FROM m WHERE {condition} ORDER BY rowid");
        Assert.Equal(expected, RowIdsOf(c, $"SELECT rowid FROM t WHERE {condition} ORDER BY rowid"));

        // In a KNN query the condition filters before the k nearest are picked: k rows whenever k rows match.
        var byDistance = RowIdsOf(c, $"SELECT rowid FROM m WHERE {condition} ORDER BY x");
        foreach (var k in new[] { 1, 3, 10, 100 })
        {
            Assert.Equal(byDistance.Take(k), RowIdsOf(c, $"SELECT rowid FROM t WHERE vector MATCH $q AND k = {k} AND {condition}"));
        }

        // DELETE and UPDATE ... WHERE change the rows a plain table's would.
        using var transaction = c.BeginTransaction();
        Assert.Equal(c.Execute($"DELETE FROM m WHERE {condition}"), c.Execute($"DELETE FROM t WHERE {condition}"));
        Assert.Equal(RowIdsOf(c, "SELECT rowid FROM m ORDER BY rowid"), RowIdsOf(c, "SELECT rowid FROM t ORDER BY rowid"));
        transaction.Rollback();
    }

    private const string Shape = "rowid, lang, typeof(lang), price, typeof(price), n, typeof(n), tenant, typeof(tenant)";

    [Fact]
    public void Values_read_back_as_stored_and_an_update_of_filter_columns_other_than_the_partition_key_keeps_the_graph()
    {
        using var c = OpenWithModel();
        Assert.Equal(c.TextRows($"SELECT {Shape} FROM m ORDER BY rowid"), c.TextRows($"SELECT {Shape} FROM t ORDER BY rowid"));
        var graph = c.TextRows("SELECT id, hex(data) FROM t_graph ORDER BY id");

        foreach (var sql in new[]
        {
            "UPDATE {0} SET lang = 'de', price = price + 1 WHERE rowid % 3 = 0",
            "UPDATE {0} SET n = NULL, lang = NULL WHERE rowid > 50",
        })
        {
            Assert.Equal(c.Execute(string.Format(sql, "m")), c.Execute(string.Format(sql, "t")));
        }

        // No re-linking: the stored graph is byte for byte the same.
        Assert.Equal(graph, c.TextRows("SELECT id, hex(data) FROM t_graph ORDER BY id"));

        // A row moved to another partition is linked anew (its edges within the old partition are no use to a search
        // confined to the new one).
        Assert.Equal(c.Execute("UPDATE m SET tenant = 9 WHERE rowid <= 12"), c.Execute("UPDATE t SET tenant = 9 WHERE rowid <= 12"));
        Assert.NotEqual(graph, c.TextRows("SELECT id, hex(data) FROM t_graph ORDER BY id"));
        Assert.Equal(c.TextRows($"SELECT {Shape} FROM m ORDER BY rowid"), c.TextRows($"SELECT {Shape} FROM t ORDER BY rowid"));
        Assert.Equal(RowIdsOf(c, "SELECT rowid FROM m WHERE tenant = 9 AND lang = 'de' ORDER BY x").Take(5),
            RowIdsOf(c, "SELECT rowid FROM t WHERE vector MATCH $q AND k = 5 AND tenant = 9 AND lang = 'de'"));
        c.Execute("INSERT INTO t(t) VALUES ('integrity-check')");

        // A copy of the file loads the values from the shadow tables (a new image, not this process's).
        c.Execute("UPDATE t SET vector = vector_from_json('[0.5, 0]'), lang = 'moved' WHERE rowid = 40");
        c.Execute("UPDATE m SET x = -1, lang = 'moved' WHERE rowid = 40");
        var copy = System.IO.Path.Combine(Db.Folder, "copy.db");
        c.Execute($"VACUUM INTO '{copy}'");
        using var other = new SqliteConnection($"Data Source={copy};Pooling=False");
        other.Open();
        other.LoadDiskAnn();
        other.Execute($"ATTACH '{Db.Path}' AS original");
        Assert.Equal(other.TextRows($"SELECT {Shape} FROM original.m ORDER BY rowid"), other.TextRows($"SELECT {Shape} FROM t ORDER BY rowid"));
        Assert.Equal([40L], RowIdsOf(other, "SELECT rowid FROM t WHERE vector MATCH $q AND k = 3 AND lang = 'moved'"));
        Assert.Equal(RowIdsOf(other, "SELECT rowid FROM original.m WHERE tenant = 9 ORDER BY x LIMIT 3"), RowIdsOf(other, "SELECT rowid FROM t WHERE vector MATCH $q AND k = 3 AND tenant = 9"));
        other.Execute("INSERT INTO t(t) VALUES ('integrity-check')");
    }

    [Fact]
    public void A_value_takes_the_column_type_as_a_strict_table_takes_it_and_anything_else_is_refused()
    {
        using var c = OpenWithModel();
        c.Execute("INSERT INTO t(rowid, vector, lang, price, n, tenant) VALUES (100, vector_from_json('[1, 1]'), 9.5, 3, '12', 4.0)");
        Assert.Equal(["100|9.5|text|3|real|12|integer|4|integer"], c.TextRows($"SELECT {Shape} FROM t WHERE rowid = 100"));

        foreach (var (values, message) in new[]
        {
            ("'x', 1, 'abc', 1", "cannot store the text 'abc' in INTEGER column t.n"),
            ("'x', 1, 2.5, 1", "cannot store the number 2.5 in INTEGER column t.n"),
            ("x'00', 1, 1, 1", "cannot store a BLOB in TEXT column t.lang"),
            ("'x', 'cheap', 1, 1", "cannot store the text 'cheap' in REAL column t.price"),
            ("'x', 1, 1, 'seven'", "cannot store the text 'seven' in INTEGER column t.tenant"),
        })
        {
            var e = Assert.Throws<SqliteException>(() => c.Execute($"INSERT INTO t(rowid, vector, lang, price, n, tenant) VALUES (101, vector_from_json('[1, 1]'), {values})"));
            Assert.Contains(message, e.Message);
            e = Assert.Throws<SqliteException>(() => c.Execute($"UPDATE t SET (lang, price, n, tenant) = ({values}) WHERE rowid = 100"));
            Assert.Contains(message, e.Message);
        }

        Assert.Equal(Rows + 1L, c.Count("t"));
        Assert.Equal(["100|9.5|text|3|real|12|integer|4|integer"], c.TextRows($"SELECT {Shape} FROM t WHERE rowid = 100"));
        c.Execute("INSERT INTO t(t) VALUES ('integrity-check')");
    }

    [Theory]
    [InlineData("lang BLOB", "filter column 'lang' has type 'BLOB': a filter column is INTEGER, REAL, TEXT")]
    [InlineData("lang", "cannot read 'lang'")]
    [InlineData("distance REAL", "a filter column cannot be named 'distance'")]
    [InlineData("K INTEGER", "a filter column cannot be named 'K'")]
    [InlineData("rowid INTEGER", "a filter column cannot be named 'rowid'")]
    [InlineData("lang TEXT, LANG INTEGER", "filter column 'LANG' is declared twice")]
    [InlineData("a INTEGER PARTITION KEY, b TEXT PARTITION KEY", "at most one PARTITION KEY, got a and b")]
    [InlineData("price REAL PARTITION KEY", "filter column 'price' cannot be the PARTITION KEY: a partition key is INTEGER or TEXT")]
    [InlineData("c0 TEXT, c1 TEXT, c2 TEXT, c3 TEXT, c4 TEXT, c5 TEXT, c6 TEXT, c7 TEXT, c8 TEXT, c9 TEXT, c10 TEXT, c11 TEXT, c12 TEXT, c13 TEXT, c14 TEXT, c15 TEXT, c16 TEXT", "at most 16 filter columns, got 17")]
    [InlineData("t TEXT", "a diskann table cannot be named 't': its columns are vector, distance, k, search_list_size, t and rowid")]
    public void A_bad_column_declaration_fails_create_with_the_column_named_and_nothing_created(string declaration, string message)
    {
        using var c = Db.Open();
        var e = Assert.Throws<SqliteException>(() => c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension=2, {declaration})"));
        Assert.Contains(message, e.Message);
        Assert.Equal(0L, c.Scalar("SELECT count(*) FROM sqlite_schema"));
    }

    [Fact]
    public void A_condition_the_search_cannot_evaluate_is_refused_with_what_to_write()
    {
        using var c = OpenWithModel();
        foreach (var condition in new[] { "lang LIKE 'e%'", "lang GLOB 'e*'", "lang = 'EN' COLLATE NOCASE" })
        {
            var e = Assert.Throws<SqliteException>(() => RowIdsOf(c, $"SELECT rowid FROM t WHERE vector MATCH $q AND k = 3 AND {condition}"));
            Assert.Contains("cannot be evaluated inside a vector search", e.Message);
            Assert.Contains("rowid IN (SELECT rowid FROM", e.Message);

            // Outside a vector search SQLite evaluates it itself, as on an ordinary table.
            Assert.Equal(RowIdsOf(c, $"SELECT rowid FROM m WHERE {condition} ORDER BY rowid"), RowIdsOf(c, $"SELECT rowid FROM t WHERE {condition} ORDER BY rowid"));

            // The spelling the message gives returns k rows.
            Assert.Equal(RowIdsOf(c, $"SELECT rowid FROM m WHERE {condition} ORDER BY x LIMIT 3"),
                RowIdsOf(c, $"SELECT rowid FROM t WHERE vector MATCH $q AND k = 3 AND rowid IN (SELECT rowid FROM t WHERE {condition})"));
        }

        // A LIMIT is k only when every condition is one the index evaluates; with an OR SQLite does not pass it, and k is asked for.
        var limit = Assert.Throws<SqliteException>(() => RowIdsOf(c, "SELECT rowid FROM t WHERE vector MATCH $q AND (lang = 'en' OR price < 0) LIMIT 3"));
        Assert.Contains("needs k", limit.Message);
        Assert.Equal(RowIdsOf(c, "SELECT rowid FROM m WHERE lang = 'de' AND price > 0 ORDER BY x LIMIT 3"),
            RowIdsOf(c, "SELECT rowid FROM t WHERE vector MATCH $q AND lang = 'de' AND price > 0 ORDER BY distance LIMIT 3"));
    }

    [Fact]
    public void Another_connection_sees_committed_filter_values_and_partitions_emptied_and_created()
    {
        using var c = OpenWithModel();
        using var other = Db.Open();
        Assert.Equal(RowIdsOf(c, "SELECT rowid FROM m WHERE tenant = 2 ORDER BY x LIMIT 4"), RowIdsOf(other, "SELECT rowid FROM t WHERE vector MATCH $q AND k = 4 AND tenant = 2"));

        foreach (var sql in new[] { "DELETE FROM {0} WHERE tenant = 2", "UPDATE {0} SET tenant = 77, lang = 'new' WHERE rowid IN (5, 9, 31)" })
        {
            Assert.Equal(c.Execute(string.Format(sql, "m")), c.Execute(string.Format(sql, "t")));
        }

        c.Execute("INSERT INTO t(rowid, vector, lang, tenant) VALUES (200, vector_from_json('[0.1, 0]'), 'new', 78)");
        c.Execute("INSERT INTO m(rowid, x, lang, tenant) VALUES (200, -5, 'new', 78)");
        foreach (var connection in new[] { other, c })
        {
            Assert.Empty(RowIdsOf(connection, "SELECT rowid FROM t WHERE vector MATCH $q AND k = 4 AND tenant = 2"));
            Assert.Equal(RowIdsOf(c, "SELECT rowid FROM m WHERE tenant IN (77, 78) ORDER BY x"), RowIdsOf(connection, "SELECT rowid FROM t WHERE vector MATCH $q AND k = 10 AND tenant IN (77, 78)"));
            Assert.Equal(RowIdsOf(c, "SELECT rowid FROM m WHERE lang = 'new' ORDER BY x"), RowIdsOf(connection, "SELECT rowid FROM t WHERE vector MATCH $q AND k = 10 AND lang = 'new'"));
            Assert.Equal(c.TextRows($"SELECT {Shape} FROM m ORDER BY rowid"), connection.TextRows($"SELECT {Shape} FROM t ORDER BY rowid"));
        }

        other.Execute("INSERT INTO t(t) VALUES ('integrity-check')");
    }

    [Fact]
    public void Rename_and_optimize_keep_the_filter_columns()
    {
        using var c = OpenWithModel();
        c.Execute("DELETE FROM t WHERE rowid <= 40");
        c.Execute("DELETE FROM m WHERE rowid <= 40");
        c.Execute("INSERT INTO t(t) VALUES ('optimize')");
        c.Execute("ALTER TABLE t RENAME TO u");
        Assert.Equal(c.TextRows($"SELECT {Shape} FROM m ORDER BY rowid"), c.TextRows($"SELECT {Shape} FROM u ORDER BY rowid"));
        Assert.Equal(RowIdsOf(c, "SELECT rowid FROM m WHERE tenant = 1 ORDER BY x"), RowIdsOf(c, "SELECT rowid FROM u WHERE vector MATCH $q AND k = 10 AND tenant = 1"));
        c.Execute("INSERT INTO u(u) VALUES ('integrity-check')");
        var e = Assert.Throws<SqliteException>(() => c.Execute("ALTER TABLE u RENAME TO lang"));
        Assert.Contains("its columns are vector, distance, k, search_list_size, lang, price, n, tenant and rowid", e.Message);
    }
}
