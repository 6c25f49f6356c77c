using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>
/// WHERE conditions on a diskann table answer as on an ordinary table: rowid conditions select the same rows (with
/// SQLite's affinity and comparison rules), in a KNN query they filter before the k nearest are picked, and a form
/// the index cannot answer exactly fails with a message saying what to write.
/// </summary>
public sealed class ConstraintTests : DatabaseTest
{
    /// <summary>The rowids a query returns, with $q the origin (0, 0).</summary>
    private static List<long> RowIdsOf(SqliteConnection c, string sql) => c.RowIds(sql, [0, 0]);

    /// <summary>Rowids of the rows; the row at position p has the vector (p, 0), so distances to (0, 0) are distinct.</summary>
    private static readonly long[] RowIds = [.. Enumerable.Range(1, 30).Select(i => (long)i), 0, -3, long.MaxValue, long.MinValue];

    private SqliteConnection OpenWithModel()
    {
        var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE t USING diskann(dimension=2, metric=l2)");
        c.Execute("CREATE TABLE n(x)");   // the model: an ordinary rowid table with the same rowids
        for (var p = 0; p < RowIds.Length; p++)
        {
            c.Execute("INSERT INTO t(rowid, vector) VALUES ($id, $v)", ("$id", RowIds[p]), ("$v", DiskAnnVector.ToBlob([p + 1, 0])));
            c.Execute("INSERT INTO n(rowid, x) VALUES ($id, $p)", ("$id", RowIds[p]), ("$p", p + 1));
        }

        return c;
    }

    [Theory]
    [InlineData("rowid = 2")]
    [InlineData("rowid = 2.0")]
    [InlineData("rowid = 2.5")]
    [InlineData("rowid = '2'")]
    [InlineData("rowid = '2.0'")]
    [InlineData("rowid = ' 7 '")]
    [InlineData("rowid = 'abc'")]
    [InlineData("rowid = x'02'")]
    [InlineData("rowid = NULL")]
    [InlineData("rowid IS 3")]
    [InlineData("rowid IS 3.0")]
    [InlineData("rowid IS NULL")]
    [InlineData("rowid IS NOT 3")]
    [InlineData("rowid IS NOT NULL")]
    [InlineData("rowid > 3")]
    [InlineData("rowid > 3.5")]
    [InlineData("rowid >= '4'")]
    [InlineData("rowid < 4.0")]
    [InlineData("rowid <= -2.5")]
    [InlineData("rowid < 'abc'")]
    [InlineData("rowid > 'abc'")]
    [InlineData("rowid >= x'00'")]
    [InlineData("rowid > NULL")]
    [InlineData("rowid != 5")]
    [InlineData("rowid <> 5.0")]
    [InlineData("rowid > 1e19")]
    [InlineData("rowid < -1e19")]
    [InlineData("rowid >= 9223372036854775807")]
    [InlineData("rowid < 9.2233720368547758e18")]
    [InlineData("rowid > 2 AND rowid < 9")]
    [InlineData("rowid BETWEEN 3 AND 7 AND rowid != 5")]
    [InlineData("rowid IN (1, 2.0, '3', 4.5, NULL, 'x', x'05')")]
    [InlineData("rowid IN (1, 2, 3, 4, 5) AND rowid IN (2, 3, 4, 5, 6)")]
    [InlineData("rowid IN (SELECT value FROM json_each('[1,2,3,4,5,6,7,8]')) AND rowid IN (SELECT value FROM json_each('[3,4,5,6,7,8,9]'))")]
    [InlineData("rowid IN (1, 3, 5, 7, 9) AND rowid > 4")]
    [InlineData("rowid = 3 AND rowid IN (1, 3)")]
    [InlineData("rowid = 3 AND rowid = 4")]
    [InlineData("oid > 25")]
    [InlineData("_rowid_ <= 0")]
    public void Rowid_conditions_select_the_rows_an_ordinary_table_selects(string condition)
    {
        using var c = OpenWithModel();
        var expected = RowIdsOf(c, $"SELECT rowid FROM n WHERE {condition} ORDER BY rowid");
        Assert.Equal(expected, RowIdsOf(c, $"SELECT rowid FROM t WHERE {condition} ORDER BY rowid"));

        // In a KNN query the condition filters before the k nearest are picked: k rows whenever k rows match.
        var byDistance = RowIdsOf(c, $"SELECT rowid FROM n WHERE {condition} ORDER BY x");
        foreach (var k in new[] { 1, 2, 3, 100 })
        {
            Assert.Equal(byDistance.Take(k), RowIdsOf(c, $"SELECT rowid FROM t WHERE vector MATCH $q AND k = {k} AND {condition}"));
        }

        // DELETE and UPDATE ... WHERE change the rows a plain table's would.
        using (var transaction = c.BeginTransaction())
        {
            Assert.Equal(c.Execute($"DELETE FROM n WHERE {condition}"), c.Execute($"DELETE FROM t WHERE {condition}"));
            Assert.Equal(RowIdsOf(c, "SELECT rowid FROM n ORDER BY rowid"), RowIdsOf(c, "SELECT rowid FROM t ORDER BY rowid"));
            transaction.Rollback();
        }

        var moved = c.Execute($"UPDATE t SET vector = vector_from_json('[0.5, 0]') WHERE {condition}");
        Assert.Equal(expected.Count, moved);
        if (moved > 0)
        {
            Assert.Contains(RowIdsOf(c, "SELECT rowid FROM t WHERE vector MATCH $q AND k = 1")[0], expected);
        }
    }

    [Fact]
    public void A_rowid_is_written_as_an_ordinary_table_takes_it()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE t USING diskann(dimension=2)");
        c.Execute("INSERT INTO t(rowid, vector) VALUES (3.0, vector_from_json('[1, 0]')), ('4', vector_from_json('[0, 1]'))");
        c.Execute("UPDATE t SET rowid = 5.0 WHERE rowid = 4");
        Assert.Equal([3L, 5L], RowIdsOf(c, "SELECT rowid FROM t ORDER BY rowid"));

        // 4.5 is refused as by an ordinary table (SQLite's own check, before the module sees the row).
        c.Execute("CREATE TABLE n(x)");
        var plain = Assert.Throws<SqliteException>(() => c.Execute("INSERT INTO n(rowid, x) VALUES (4.5, 1)"));
        var e = Assert.Throws<SqliteException>(() => c.Execute("INSERT INTO t(rowid, vector) VALUES (4.5, vector_from_json('[1, 1]'))"));
        Assert.Equal(plain.SqliteErrorCode, e.SqliteErrorCode);
        Assert.Equal(2L, c.Count("t"));
    }

    [Fact]
    public void K_and_search_list_size_take_one_value_and_an_in_list_is_refused_with_what_to_write()
    {
        using var c = OpenWithModel();
        Assert.Equal([1L, 2L, 3L], RowIdsOf(c, "SELECT rowid FROM t WHERE vector MATCH $q AND k = 3.0 AND search_list_size = '20'"));

        var e = Assert.Throws<SqliteException>(() => RowIdsOf(c, "SELECT rowid FROM t WHERE vector MATCH $q AND k IN (1, 2)"));
        Assert.Contains("k IN (...) is not supported", e.Message);
        Assert.Contains("write k = N", e.Message);
        e = Assert.Throws<SqliteException>(() => RowIdsOf(c, "SELECT rowid FROM t WHERE vector MATCH $q AND k = 2 AND search_list_size IN (10, 20)"));
        Assert.Contains("write search_list_size = N", e.Message);
        e = Assert.Throws<SqliteException>(() => RowIdsOf(c, "SELECT rowid FROM t WHERE vector MATCH $q AND k = 3.5"));
        Assert.Contains("k must be an integer, got 3.5", e.Message);
    }

    [Fact]
    public void Limit_acts_as_k_only_when_the_rows_it_keeps_are_the_nearest()
    {
        using var c = OpenWithModel();
        Assert.Equal([1L, 2L, 3L], RowIdsOf(c, "SELECT rowid FROM t WHERE vector MATCH $q ORDER BY distance LIMIT 3"));
        Assert.Equal([1L, 2L, 3L], RowIdsOf(c, "SELECT rowid FROM t WHERE vector MATCH $q LIMIT 3"));

        // The 3 farthest, or 2 rows by rowid, are not "the n nearest": LIMIT cannot be k there, and k is asked for.
        foreach (var order in new[] { "ORDER BY distance DESC", "ORDER BY rowid", "ORDER BY distance, rowid DESC" })
        {
            var e = Assert.Throws<SqliteException>(() => RowIdsOf(c, $"SELECT rowid FROM t WHERE vector MATCH $q {order} LIMIT 3"));
            Assert.Contains("LIMIT acts as k only with no ORDER BY or ORDER BY distance (ascending); add 'AND k = 10'", e.Message);
        }

        // With k, ORDER BY and LIMIT apply to the k nearest, as on a plain table holding them.
        Assert.Equal([20L, 19L, 18L], RowIdsOf(c, "SELECT rowid FROM t WHERE vector MATCH $q AND k = 20 ORDER BY distance DESC LIMIT 3"));
        Assert.Equal([1L, 2L], RowIdsOf(c, "SELECT rowid FROM t WHERE vector MATCH $q AND k = 20 ORDER BY rowid LIMIT 2"));
    }
}
