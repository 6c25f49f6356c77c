using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

public sealed class WriteTests : DatabaseTest
{
    private SqliteConnection WithRows(int count, int dimension, out float[][] vectors, string metric = "cosine")
    {
        var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE idx USING diskann(dimension={dimension}, metric={metric})");
        vectors = SqlHelpers.Clustered(count, dimension, seed: count + dimension);
        c.InsertAll("idx", vectors);
        return c;
    }

    private static void AssertIntact(SqliteConnection c) => c.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");

    [Fact]
    public void Bad_rows_are_refused_with_a_clear_message_and_change_nothing()
    {
        using var c = WithRows(50, 4, out var vectors);
        var before = c.Knn("idx", vectors[3], 5);

        void Fails(object? vector, string expected, long rowid = 1000)
        {
            var e = Assert.Throws<SqliteException>(() => c.Execute("INSERT INTO idx(rowid, vector) VALUES ($id, $v)", ("$id", rowid), ("$v", vector)));
            Assert.Contains(expected, e.Message);
        }

        Fails(DiskAnnVector.ToBlob([1, 2, 3]), "has 12 bytes (3 float32 values) but the index has dimension 4");
        Fails(new byte[17], "17 bytes");
        Fails(null, "NULL");
        Fails("[1,2,3,4]", "TEXT");
        Fails(42, "number");
        Fails(DiskAnnVector.ToBlob([1, float.NaN, 3, 4]), "NaN or infinite value at index 1");
        Fails(DiskAnnVector.ToBlob([1, 2, float.PositiveInfinity, 4]), "at index 2");
        var text = Assert.Throws<SqliteException>(() => c.Execute("INSERT INTO idx(rowid, vector) VALUES ('x', $v)", ("$v", DiskAnnVector.ToBlob([1, 2, 3, 4]))));
        Assert.Contains("mismatch", text.Message);
        var update = Assert.Throws<SqliteException>(() => c.Execute("UPDATE idx SET vector = NULL WHERE rowid = 3"));
        Assert.Contains("NULL", update.Message);

        Assert.Equal(50L, c.Count("idx"));
        Assert.Equal(before, c.Knn("idx", vectors[3], 5));
        AssertIntact(c);
    }

    [Fact]
    public void A_second_insert_of_a_rowid_is_a_constraint_error_and_or_replace_replaces()
    {
        using var c = WithRows(40, 4, out _);
        var e = Assert.Throws<SqliteException>(() => c.Execute("INSERT INTO idx(rowid, vector) VALUES (7, $v)", ("$v", DiskAnnVector.ToBlob([9, 9, 9, 9]))));
        Assert.Equal(19, e.SqliteErrorCode);
        Assert.Contains("UNIQUE constraint failed", e.Message);

        c.Execute("INSERT OR REPLACE INTO idx(rowid, vector) VALUES (7, $v)", ("$v", DiskAnnVector.ToBlob([9, -9, 9, -9])));
        Assert.Equal(40L, c.Count("idx"));
        Assert.Equal(new float[] { 9, -9, 9, -9 }, DiskAnnVector.FromBlob((byte[])c.Scalar("SELECT vector FROM idx WHERE rowid = 7")!));
        var nearest = c.Knn("idx", [9, -9, 9, -9], 3);
        Assert.Equal(7L, nearest[0].RowId);
        Assert.Single(nearest, r => r.RowId == 7);

        c.Execute("INSERT OR IGNORE INTO idx(rowid, vector) VALUES (7, $v)", ("$v", DiskAnnVector.ToBlob([1, 1, 1, 1])));
        Assert.Equal(new float[] { 9, -9, 9, -9 }, DiskAnnVector.FromBlob((byte[])c.Scalar("SELECT vector FROM idx WHERE rowid = 7")!));
        AssertIntact(c);
    }

    [Fact]
    public void Insert_without_rowid_assigns_the_next_one()
    {
        using var c = WithRows(10, 4, out _);
        c.Execute("INSERT INTO idx(vector) VALUES ($v)", ("$v", DiskAnnVector.ToBlob([1, 2, 3, 4])));
        Assert.Equal(11L, c.Scalar("SELECT last_insert_rowid()"));
        Assert.Equal(11L, c.Count("idx"));
    }

    [Fact]
    public void Inserts_without_rowid_after_the_largest_possible_rowid_pick_unused_ones_as_sqlite_does()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=2, metric=l2)");
        c.Execute("CREATE TABLE plain(x)");
        c.Execute("INSERT INTO idx(rowid, vector) VALUES (9223372036854775807, vector_from_json('[1, 0]'))");
        c.Execute("INSERT INTO plain(rowid, x) VALUES (9223372036854775807, 1)");
        for (var i = 0; i < 20; i++)
        {
            c.Execute("INSERT INTO plain(x) VALUES (1)");
            c.Execute("INSERT INTO idx(vector) VALUES ($v)", ("$v", DiskAnnVector.ToBlob([i + 2, 0])));
        }

        // An ordinary table then picks unused rowids at random (never wrapping to negative ones): so does the index.
        Assert.Equal(0L, c.Scalar("SELECT count(*) FROM plain WHERE rowid <= 0"));
        Assert.Equal(0L, c.Scalar("SELECT count(*) FROM idx WHERE rowid <= 0"));
        Assert.Equal(21L, c.Count("idx"));
        Assert.Equal(21L, c.Scalar("SELECT count(DISTINCT rowid) FROM idx"));
        var last = (long)c.Scalar("SELECT last_insert_rowid()")!;
        Assert.Equal(last, c.Knn("idx", [21, 0], k: 1)[0].RowId);
        AssertIntact(c);
    }

    [Fact]
    public void Inserts_without_rowid_into_a_table_of_negative_rowids_follow_the_largest_as_sqlite_does()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=2, metric=l2)");
        c.Execute("CREATE TABLE plain(x)");
        foreach (var rowid in new[] { -10, -4 })
        {
            c.Execute("INSERT INTO idx(rowid, vector) VALUES ($r, vector_from_json('[1, 0]'))", ("$r", rowid));
            c.Execute("INSERT INTO plain(rowid, x) VALUES ($r, 1)", ("$r", rowid));
        }

        c.Execute("INSERT INTO idx(vector) VALUES (vector_from_json('[2, 0]'))");
        c.Execute("INSERT INTO plain(x) VALUES (2)");
        Assert.Equal(c.Scalar("SELECT max(rowid) FROM plain"), c.Scalar("SELECT max(rowid) FROM idx"));
        Assert.Equal(-3L, c.Scalar("SELECT max(rowid) FROM idx"));
        AssertIntact(c);
    }

    [Fact]
    public void Inserts_without_rowid_follow_the_largest_rowid_as_sqlite_does()
    {
        using var c = WithRows(10, 4, out _);
        using (var transaction = c.BeginTransaction())
        {
            // A bulk load without rowids: each one is the largest so far plus one.
            for (var i = 0; i < 2000; i++)
            {
                c.Execute("INSERT INTO idx(vector) VALUES ($v)", ("$v", DiskAnnVector.ToBlob([i, 1, 2, 3])));
            }

            transaction.Commit();
        }

        Assert.Equal(2010L, c.Scalar("SELECT max(rowid) FROM idx"));
        Assert.Equal(2010L, c.Count("idx"));

        // Deleting the largest rowid makes the next one follow the new largest, as for an ordinary rowid table.
        c.Execute("DELETE FROM idx WHERE rowid >= 2005");
        c.Execute("INSERT INTO idx(vector) VALUES ($v)", ("$v", DiskAnnVector.ToBlob([5, 5, 5, 5])));
        Assert.Equal(2005L, c.Scalar("SELECT last_insert_rowid()"));
        AssertIntact(c);
    }

    [Fact]
    public void Update_relinks_the_node_under_its_new_vector()
    {
        using var c = WithRows(1000, 8, out var vectors, "l2");
        var far = Enumerable.Repeat(50f, 8).ToArray();
        c.Execute("UPDATE idx SET vector = $v WHERE rowid = 123", ("$v", DiskAnnVector.ToBlob(far)));
        Assert.Equal(123L, c.Knn("idx", far, 1)[0].RowId);
        Assert.DoesNotContain(c.Knn("idx", vectors[122], 10), r => r.RowId == 123);
        Assert.Equal(1000L, c.Count("idx"));

        c.Execute("UPDATE idx SET rowid = 5000 WHERE rowid = 123");
        Assert.Equal(5000L, c.Knn("idx", far, 1)[0].RowId);
        Assert.Null(c.Scalar("SELECT vector FROM idx WHERE rowid = 123"));
        Assert.Equal(1000L, c.Count("idx"));
        AssertIntact(c);
    }

    [Fact]
    public void Deleted_rows_are_never_returned_and_the_graph_stays_navigable()
    {
        using var c = WithRows(2000, 12, out var vectors);
        c.Execute("DELETE FROM idx WHERE rowid % 2 = 0");
        Assert.Equal(1000L, c.Count("idx"));
        AssertIntact(c);

        var recall = 0.0;
        var queries = SqlHelpers.Clustered(20, 12, seed: 99);
        foreach (var q in queries)
        {
            var rows = c.Knn("idx", q, 10);
            Assert.Equal(10, rows.Count);
            Assert.All(rows, r => Assert.Equal(1, r.RowId % 2));
            recall += SqlHelpers.Recall(SqlHelpers.ExactTopK("cosine", vectors, q, 10, id => id % 2 == 1), rows.Select(r => r.RowId));
        }

        Assert.True(recall / queries.Length >= 0.95, $"recall after deleting half: {recall / queries.Length}");
        c.Execute("DELETE FROM idx WHERE rowid = 424242");
        Assert.Equal(1000L, c.Count("idx"));
    }

    [Fact]
    public void Deleted_slots_are_reused_by_later_inserts()
    {
        using var c = WithRows(1000, 16, out var vectors);
        var size = (long)c.Scalar("SELECT sum(length(data)) FROM idx_vectors")!;
        c.Execute("DELETE FROM idx WHERE rowid <= 500");
        c.Execute("INSERT INTO idx(idx) VALUES ('optimize')");
        c.InsertAll("idx", vectors.Take(500).ToList(), firstRowId: 10001);
        Assert.Equal(size, (long)c.Scalar("SELECT sum(length(data)) FROM idx_vectors")!);
        Assert.Equal(1000L, c.Count("idx"));
        AssertIntact(c);
    }

    [Fact]
    public void Optimize_and_rebuild_keep_the_answers_right()
    {
        using var c = WithRows(1500, 8, out var vectors);
        c.Execute("DELETE FROM idx WHERE rowid BETWEEN 1 AND 10");
        c.Execute("INSERT INTO idx(idx) VALUES ('optimize')");
        AssertIntact(c);
        c.Execute("INSERT INTO idx(idx) VALUES ('rebuild')");
        AssertIntact(c);
        var q = vectors[700];
        Assert.Equal(701L, c.Knn("idx", q, 1)[0].RowId);
        var e = Assert.Throws<SqliteException>(() => c.Execute("INSERT INTO idx(idx) VALUES ('defragment')"));
        Assert.Contains("unknown command 'defragment'", e.Message);
    }
}
