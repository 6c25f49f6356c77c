using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

public sealed class StorageTests : DatabaseTest
{
    [Fact]
    public void Index_size_stays_close_to_the_raw_vectors()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=384)");
        c.InsertAll("idx", SqlHelpers.Clustered(1024, 384, seed: 50));
        var stored = (long)c.Scalar("SELECT (SELECT sum(length(data)) FROM idx_vectors) + (SELECT sum(length(data)) FROM idx_graph)")!;
        var raw = 1024L * 384 * sizeof(float);
        Assert.InRange(stored / (double)raw, 1.0, 1.2);
        Assert.InRange(new FileInfo(Db.Path).Length / (double)raw, 1.0, 1.25);
    }

    [Fact]
    public void A_file_of_another_format_version_is_refused_with_a_clear_message()
    {
        using (var c = Db.Open())
        {
            c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=4)");
            c.InsertAll("idx", SqlHelpers.Clustered(10, 4, seed: 51));
            c.Execute("UPDATE idx_config SET value = 99 WHERE key = 'format_version'");
        }

        using var reopened = Db.Open();
        var e = Assert.Throws<SqliteException>(() => reopened.Knn("idx", [1, 2, 3, 4], 3));
        Assert.Contains("storage format version 99", e.Message);
    }

    [Fact]
    public void Integrity_check_names_a_damaged_graph()
    {
        using (var c = Db.Open())
        {
            c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=4, max_degree=8)");
            c.InsertAll("idx", SqlHelpers.Clustered(100, 4, seed: 52));
            c.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");
            Assert.Equal("ok", c.Scalar("PRAGMA integrity_check"));

            // Point slot 0's first edge at a slot that holds nothing (one past the rows).
            var graph = (byte[])c.Scalar("SELECT data FROM idx_graph WHERE id = 0")!;
            BitConverter.GetBytes(120).CopyTo(graph, 12);
            graph[10] = Math.Max(graph[10], (byte)1);
            c.Execute("UPDATE idx_graph SET data = $d WHERE id = 0", ("$d", graph));
        }

        using var reopened = Db.Open();
        var e = Assert.Throws<SqliteException>(() => reopened.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')"));
        Assert.Contains("has an edge to slot 120, which holds no linked node", e.Message);
        Assert.Contains("edge to slot 120", (string)reopened.Scalar("PRAGMA integrity_check")!);
    }

    [Fact]
    public void Deleting_half_then_optimize_and_vacuum_shrinks_the_file()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=64)");
        var vectors = SqlHelpers.Clustered(4000, 64, seed: 54);
        c.InsertAll("idx", vectors);
        var full = new FileInfo(Db.Path).Length;

        c.Execute("DELETE FROM idx WHERE rowid % 2 = 0");
        c.Execute("INSERT INTO idx(idx) VALUES ('optimize')");
        c.Execute("VACUUM");
        var half = new FileInfo(Db.Path).Length;
        Assert.InRange(half / (double)full, 0.4, 0.6);

        c.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");
        Assert.Equal(2000L, c.Count("idx"));
        foreach (var i in new[] { 1, 999, 2001, 3999 })
        {
            Assert.Equal(i, c.Knn("idx", vectors[i - 1], 1)[0].RowId);
            Assert.Equal(vectors[i - 1], DiskAnnVector.FromBlob((byte[])c.Scalar($"SELECT vector FROM idx WHERE rowid = {i}")!));
        }
    }

    [Fact]
    public void Bulk_load_in_one_transaction_links_every_row()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=24)");
        var vectors = SqlHelpers.Clustered(5000, 24, seed: 53);
        c.InsertAll("idx", vectors);
        // After commit nothing is left pending: every row has edges and is reachable.
        Assert.Equal(0L, c.Scalar("SELECT count(*) FROM idx_graph WHERE 0"));
        var found = new HashSet<long>();
        foreach (var i in Enumerable.Range(0, 200))
        {
            found.Add(c.Knn("idx", vectors[i * 25], 1)[0].RowId);
        }

        Assert.True(found.Count >= 195, $"self-queries found {found.Count} of 200 rows");
        c.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");
    }
}
