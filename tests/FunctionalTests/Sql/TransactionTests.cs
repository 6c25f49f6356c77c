using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

public sealed class TransactionTests : DatabaseTest
{
    private static List<long> Nearest(SqliteConnection c, float[] q) => c.Knn("idx", q, 10).Select(r => r.RowId).ToList();

    [Fact]
    public void Rollback_leaves_the_index_exactly_as_before()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=8)");
        var vectors = SqlHelpers.Clustered(600, 8, seed: 30);
        c.InsertAll("idx", vectors.Take(500).ToList());
        var q = vectors[10];
        var before = Nearest(c, q);
        var graph = (string)c.Scalar("SELECT group_concat(hex(data)) FROM idx_graph")!;

        using (var t = c.BeginTransaction())
        {
            c.InsertEach(vectors.Skip(500).ToList(), 501);
            c.Execute("DELETE FROM idx WHERE rowid < 100");
            c.Execute("UPDATE idx SET vector = $v WHERE rowid = 200", ("$v", DiskAnnVector.ToBlob(vectors[10])));
            Assert.Equal(501L, c.Count("idx"));
            Assert.Contains(200L, Nearest(c, q));
            t.Rollback();
        }

        Assert.Equal(500L, c.Count("idx"));
        Assert.Equal(before, Nearest(c, q));
        Assert.Equal(graph, (string)c.Scalar("SELECT group_concat(hex(data)) FROM idx_graph")!);
        c.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");
    }

    [Fact]
    public void Rollback_to_a_savepoint_undoes_only_what_came_after_it()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=1, metric=l2)");
        c.Execute("BEGIN");
        c.Execute("INSERT INTO idx(rowid, vector) VALUES (1, $v)", ("$v", DiskAnnVector.ToBlob([1])));
        c.Execute("SAVEPOINT a");
        c.Execute("INSERT INTO idx(rowid, vector) VALUES (2, $v)", ("$v", DiskAnnVector.ToBlob([2])));
        Assert.Equal(2, c.Knn("idx", [2], 5).Count);
        c.Execute("ROLLBACK TO a");
        c.Execute("INSERT INTO idx(rowid, vector) VALUES (3, $v)", ("$v", DiskAnnVector.ToBlob([3])));
        c.Execute("RELEASE a");
        c.Execute("COMMIT");

        Assert.Equal([3L, 1L], c.Knn("idx", [2.9f], 5).Select(r => r.RowId));
        c.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");
    }

    [Fact]
    public void A_failing_row_in_a_multi_row_statement_undoes_the_whole_statement()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=1, metric=l2)");
        c.Execute("CREATE TABLE src(id INTEGER PRIMARY KEY, v BLOB)");
        c.Execute("INSERT INTO idx(rowid, vector) VALUES (1, $v)", ("$v", DiskAnnVector.ToBlob([1])));
        for (var i = 2; i <= 5; i++)
        {
            c.Execute("INSERT INTO src VALUES ($i, $v)", ("$i", i), ("$v", i == 4 ? null : DiskAnnVector.ToBlob([i])));
        }

        Assert.Throws<SqliteException>(() => c.Execute("INSERT INTO idx(rowid, vector) SELECT id, v FROM src ORDER BY id"));
        Assert.Equal(1L, c.Count("idx"));
        Assert.Equal([1L], c.Knn("idx", [3], 5).Select(r => r.RowId));
        c.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");
    }

    [Fact]
    public void Reopening_the_file_gives_the_same_answers()
    {
        var vectors = SqlHelpers.Clustered(1500, 10, seed: 31);
        var queries = SqlHelpers.Clustered(10, 10, seed: 32);
        List<List<(long, double)>> before;
        using (var c = Db.Open())
        {
            c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=10, metric=l2)");
            c.InsertAll("idx", vectors);
            c.Execute("DELETE FROM idx WHERE rowid <= 20");
            before = queries.Select(q => c.Knn("idx", q, 10)).ToList();
        }

        using var reopened = Db.Open();
        Assert.Equal(1480L, reopened.Count("idx"));
        Assert.Equal(before, queries.Select(q => reopened.Knn("idx", q, 10)).ToList());
        Assert.Equal("ok", reopened.Scalar("PRAGMA integrity_check"));
    }

    [Fact]
    public void A_second_connection_sees_committed_rows_only()
    {
        using var writer = Db.Open(wal: true);
        writer.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=4, metric=l2)");
        writer.InsertAll("idx", SqlHelpers.Clustered(100, 4, seed: 33));
        using var reader = Db.Open(wal: true);
        Assert.Equal(100L, reader.Count("idx"));
        var far = new float[] { 100, 100, 100, 100 };
        Assert.NotEqual(500L, reader.Knn("idx", far, 1)[0].RowId);

        writer.Execute("BEGIN");
        writer.Execute("INSERT INTO idx(rowid, vector) VALUES (500, $v)", ("$v", DiskAnnVector.ToBlob(far)));
        Assert.Equal(500L, writer.Knn("idx", far, 1)[0].RowId);
        Assert.NotEqual(500L, reader.Knn("idx", far, 1)[0].RowId);
        Assert.Equal(100L, reader.Count("idx"));
        writer.Execute("COMMIT");

        Assert.Equal(500L, reader.Knn("idx", far, 1)[0].RowId);
        Assert.Equal(101L, reader.Count("idx"));
        writer.Execute("DELETE FROM idx WHERE rowid = 500");
        Assert.NotEqual(500L, reader.Knn("idx", far, 1)[0].RowId);
    }

    [Fact]
    public void A_reader_that_refreshes_from_the_change_log_answers_as_a_fresh_connection_after_every_commit()
    {
        var vectors = SqlHelpers.Clustered(1200, 8, seed: 35);
        var queries = SqlHelpers.Clustered(15, 8, seed: 36);
        using var writer = Db.Open(wal: true);
        writer.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=8, metric=l2, max_degree=8)");
        writer.InsertAll("idx", vectors.Take(600).ToList());
        using var reader = Db.Open(wal: true);
        Assert.Equal(600L, reader.Count("idx"));

        var random = new Random(37);
        var next = 601L;
        for (var round = 0; round < 24; round++)
        {
            writer.Execute("BEGIN");
            switch (round % 6)
            {
                case 0: // grow into new chunks
                    writer.InsertEach(vectors.Skip((int)next - 1).Take(100).ToList(), next);
                    next += 100;
                    break;
                case 1:
                    writer.Execute("DELETE FROM idx WHERE rowid % 7 = $r", ("$r", (long)random.Next(7)));
                    break;
                case 2:
                    writer.Execute("UPDATE idx SET vector = $v WHERE rowid = (SELECT max(rowid) FROM idx)", ("$v", DiskAnnVector.ToBlob(queries[round % queries.Length])));
                    break;
                case 3:
                    writer.InsertEach([SqlHelpers.Gaussian(random, 8, 3)], next++);
                    break;
                case 4:
                    writer.Execute("INSERT INTO idx(idx) VALUES ('rebuild')");
                    break;
                default:
                    writer.Execute("INSERT INTO idx(idx) VALUES ('optimize')"); // compaction drops chunks: a whole reload
                    break;
            }

            writer.Execute("COMMIT");
            using var fresh = Db.Open(wal: true);
            Assert.Equal(fresh.Count("idx"), reader.Count("idx"));
            foreach (var query in queries)
            {
                Assert.Equal(fresh.Knn("idx", query, 10), reader.Knn("idx", query, 10));
            }
        }

        reader.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");
    }

    [Fact]
    public void Only_commits_that_change_the_index_raise_its_generation_and_readers_follow_them()
    {
        using var writer = Db.Open(wal: true);
        writer.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=4, metric=l2)");
        writer.Execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)");
        writer.InsertAll("idx", SqlHelpers.Clustered(100, 4, seed: 34));
        long Generation() => (long)writer.Scalar("SELECT value FROM idx_config WHERE key = 'generation'")!;
        var afterLoad = Generation();
        Assert.True(afterLoad >= 1);

        using var reader = Db.Open(wal: true);
        var far = new float[] { 100, 100, 100, 100 };
        Assert.NotEqual(600L, reader.Knn("idx", far, 1)[0].RowId);

        // A commit to another table changes PRAGMA data_version for the reader, but not the index's generation:
        // the reader keeps its cache, and its answers stay right.
        writer.Execute("INSERT INTO notes(body) VALUES ('unrelated')");
        Assert.Equal(afterLoad, Generation());
        Assert.NotEqual(600L, reader.Knn("idx", far, 1)[0].RowId);
        Assert.Equal(100L, reader.Count("idx"));

        // A commit that writes the index raises it, and the reader reloads.
        writer.Execute("INSERT INTO idx(rowid, vector) VALUES (600, $v)", ("$v", DiskAnnVector.ToBlob(far)));
        Assert.Equal(afterLoad + 1, Generation());
        Assert.Equal(600L, reader.Knn("idx", far, 1)[0].RowId);

        // Both in one transaction: still seen.
        writer.Execute("BEGIN");
        writer.Execute("INSERT INTO notes(body) VALUES ('and the index')");
        writer.Execute("DELETE FROM idx WHERE rowid = 600");
        writer.Execute("COMMIT");
        Assert.NotEqual(600L, reader.Knn("idx", far, 1)[0].RowId);

        // A rolled-back write leaves the generation, and the reader, as they were.
        writer.Execute("BEGIN");
        writer.Execute("INSERT INTO idx(rowid, vector) VALUES (601, $v)", ("$v", DiskAnnVector.ToBlob(far)));
        writer.Execute("ROLLBACK");
        Assert.Equal(afterLoad + 2, Generation());
        Assert.NotEqual(601L, reader.Knn("idx", far, 1)[0].RowId);
        Assert.NotEqual(601L, writer.Knn("idx", far, 1)[0].RowId);
    }
}

internal static class TransactionTestExtensions
{
    /// <summary>Inserts inside the caller's transaction (no transaction of its own).</summary>
    public static void InsertEach(this SqliteConnection c, IReadOnlyList<float[]> vectors, long firstRowId)
    {
        for (var i = 0; i < vectors.Count; i++)
        {
            c.Execute("INSERT INTO idx(rowid, vector) VALUES ($id, $v)", ("$id", firstRowId + i), ("$v", DiskAnnVector.ToBlob(vectors[i])));
        }
    }
}
