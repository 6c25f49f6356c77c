using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>
/// The vector cache budget (<c>cache_size_mb</c>): an index larger than the budget answers the same as one held
/// whole, and accepts every write.
/// </summary>
public sealed class CacheBudgetTests : DatabaseTest
{
    [Fact]
    public void An_image_under_a_budget_smaller_than_the_index_answers_exactly_as_without()
    {
        // 3,000 x 128-d float32 = 1.5 MB of vectors in 12 chunks; the budget holds 1 MB of them.
        var vectors = SqlHelpers.Clustered(3000, 128, seed: 80);
        using (var c = Db.Open())
        {
            c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=128)");
            c.InsertAll("idx", vectors);
        }

        // The image held whole is the reference: what the small budget drops and reads back must not change a single
        // answer. The budget is the process image's: the connection that set none answers under it too.
        using var whole = Db.Open();
        var queries = SqlHelpers.Clustered(25, 128, seed: 81);
        var expected = queries.Select(q => whole.Knn("idx", q, 10)).ToList();
        using var budgeted = Db.Open();
        budgeted.Execute("INSERT INTO idx(idx) VALUES ('cache_size_mb=1')");
        Assert.Equal(1L, whole.Scalar("SELECT diskann_cache_size_mb('idx')"));
        Assert.Equal(expected, queries.Select(q => budgeted.Knn("idx", q, 10)));
        Assert.Equal(expected, queries.Select(q => whole.Knn("idx", q, 10)));

        // Back to no budget: nothing is dropped any more, and the answers stay the same.
        budgeted.Execute("INSERT INTO idx(idx) VALUES ('cache_size_mb=0')");
        Assert.Equal(expected, queries.Select(q => budgeted.Knn("idx", q, 10)));
    }

    [Fact]
    public void A_table_declared_with_a_small_budget_takes_writes_deletes_and_optimize()
    {
        var vectors = SqlHelpers.Clustered(2200, 128, seed: 82); // 1.1 MB of vectors, over the 1 MB budget
        using (var c = Db.Open())
        {
            c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=128, metric=l2, cache_size_mb=1)");
            c.InsertAll("idx", vectors);
            c.Execute("DELETE FROM idx WHERE rowid % 5 = 0");
            c.Execute("UPDATE idx SET vector = $v WHERE rowid = 7", ("$v", DiskAnn.DiskAnnVector.ToBlob(vectors[8])));
            c.Execute("INSERT INTO idx(idx) VALUES ('optimize')");
            c.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");
        }

        using var reopened = Db.Open();
        Assert.Equal(1760L, reopened.Count("idx"));
        var live = new Func<long, bool>(id => id % 5 != 0 && id != 7);
        var recall = 0.0;
        var queries = SqlHelpers.Clustered(20, 128, seed: 83);
        foreach (var query in queries)
        {
            var expected = SqlHelpers.ExactTopK("l2", vectors, query, 10, live);
            recall += SqlHelpers.Recall(expected, reopened.Knn("idx", query, 10).Select(h => h.RowId).Where(id => id != 7));
        }

        Assert.True(recall / queries.Length >= 0.9, $"recall {recall / queries.Length:F3}");
        var hits = reopened.Knn("idx", vectors[8], 2);
        Assert.Equal([7L, 9L], hits.Select(h => h.RowId).Order().ToArray());
    }

    [Fact]
    public void A_read_only_or_query_only_connection_sets_its_budget_with_a_select()
    {
        var vectors = SqlHelpers.Clustered(3000, 128, seed: 84);
        using (var c = Db.Open())
        {
            c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=128)");
            c.Execute("CREATE TABLE plain(x)");
            c.InsertAll("idx", vectors);
        }

        using var whole = Db.Open();
        whole.Execute("INSERT INTO idx(idx) VALUES ('cache_size_mb=100000')");
        var queries = SqlHelpers.Clustered(10, 128, seed: 85);
        var expected = queries.Select(q => whole.Knn("idx", q, 10)).ToList();

        using var readOnly = new SqliteConnection($"Data Source={Db.Path};Mode=ReadOnly;Pooling=False");
        readOnly.Open();
        DiskAnn.SqliteConnectionExtensions.LoadDiskAnn(readOnly);
        using var queryOnly = Db.Open();
        queryOnly.Execute("PRAGMA query_only = 1");
        foreach (var c in new[] { readOnly, queryOnly })
        {
            // The INSERT command is a write, which SQLite refuses here before the table sees it; the function is not.
            Assert.Throws<SqliteException>(() => c.Execute("INSERT INTO idx(idx) VALUES ('cache_size_mb=1')"));
            Assert.Equal(100000L, c.Scalar("SELECT diskann_cache_size_mb('idx')"));
            Assert.Equal(1L, c.Scalar("SELECT diskann_cache_size_mb('IDX', 1)"));
            Assert.Equal(1L, c.Scalar("SELECT diskann_cache_size_mb('idx')"));
            Assert.Equal(expected, queries.Select(q => c.Knn("idx", q, 10)));
            Assert.Equal(100000L, c.Scalar("SELECT diskann_cache_size_mb('idx', 100000)"));

            Assert.Contains("no such table: nope", Assert.Throws<SqliteException>(() => c.Scalar("SELECT diskann_cache_size_mb('nope', 1)")).Message);
            Assert.Contains("\"plain\" is not a diskann table", Assert.Throws<SqliteException>(() => c.Scalar("SELECT diskann_cache_size_mb('plain', 1)")).Message);
            Assert.Contains("must be from 0 to 1048576, got -1", Assert.Throws<SqliteException>(() => c.Scalar("SELECT diskann_cache_size_mb('idx', -1)")).Message);
        }

        // A budget set by the function is the process image's, as with the command: every connection has it.
        Assert.Equal(1L, queryOnly.Scalar("SELECT diskann_cache_size_mb('idx', 1)"));
        Assert.Equal(1L, whole.Scalar("SELECT diskann_cache_size_mb('idx')"));
        Assert.Equal(expected, queries.Select(q => whole.Knn("idx", q, 10)));
    }

    [Theory]
    [InlineData("cache_size_mb=-1")]
    [InlineData("cache_size_mb=lots")]
    [InlineData("cache_size_mb")]
    public void A_bad_budget_is_refused_with_its_spelling(string command)
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=4)");
        var e = Assert.Throws<SqliteException>(() => c.Execute($"INSERT INTO idx(idx) VALUES ('{command}')"));
        Assert.Contains("cache_size_mb must be written cache_size_mb=N", e.Message);

        var create = Assert.Throws<SqliteException>(() => c.Execute("CREATE VIRTUAL TABLE bad USING diskann(dimension=4, cache_size_mb=-5)"));
        Assert.Contains("'cache_size_mb' must be an integer", create.Message);
    }
}
