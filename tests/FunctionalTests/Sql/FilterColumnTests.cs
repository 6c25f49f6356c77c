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

    private static List<long> RowIdsOf(SqliteConnection c, string sql)
    {
        using var command = c.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$q", DiskAnnVector.ToBlob([0, 0]));
        using var reader = command.ExecuteReader();
        var rows = new List<long>();
        while (reader.Read())
        {
            rows.Add(reader.GetInt64(0));
        }

        return rows;
    }

    [Theory]
    [InlineData("lang = 'en'")]
    [InlineData("lang = 'EN'")]
    [InlineData("lang != 'en'")]
    [InlineData("lang < 'e'")]
    [InlineData("lang >= 'en'")]
    [InlineData("lang > 'en'")]
    [InlineData("lang <= 'é'")]
    [InlineData("lang = 10")]
    [InlineData("lang > 5")]
    [InlineData("lang = x'656e'")]
    [InlineData("lang < x'00'")]
    [InlineData("lang IN ('en', 'de')")]
    [InlineData("lang IN ('en', NULL, 10)")]
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
}
