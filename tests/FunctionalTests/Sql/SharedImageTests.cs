using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>
/// One in-memory image of an index per process: the connections of the process use the committed image of the
/// generation their snapshot sees, a writer works on a fork of its own that only it sees until COMMIT, and every
/// connection answers as it would with an image of its own (diskann_status shows which image each one uses).
/// Table names are this class's own: the status is process-wide and other test classes run at the same time.
/// </summary>
public sealed class SharedImageTests : DatabaseTest
{
    private const int Dimension = 16;

    private static (long Image, bool Shared) ImageOf(SqliteConnection c, string table)
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT image, shared FROM diskann_status WHERE name = $n AND this_connection = 1";
        command.Parameters.AddWithValue("$n", table);
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read(), $"no status row for {table} on this connection");
        return (reader.GetInt64(0), reader.GetInt64(1) == 1);
    }

    private (SqliteConnection First, float[][] Vectors) Create(string table, int rows, bool wal = true)
    {
        var vectors = SqlHelpers.Clustered(rows, Dimension, seed: 95);
        var first = Db.Open(wal);
        first.Execute($"CREATE VIRTUAL TABLE {table} USING diskann(dimension={Dimension}, metric=l2)");
        first.InsertAll(table, vectors);
        return (first, vectors);
    }

    [Fact]
    public void Connections_of_a_process_use_one_image_of_an_index()
    {
        var (first, vectors) = Create("shared_one", 500);
        var others = new[] { Db.Open(wal: true), Db.Open(wal: true) };
        var expected = first.Knn("shared_one", vectors[7], 10);
        foreach (var c in others)
        {
            Assert.Equal(expected, c.Knn("shared_one", vectors[7], 10));
        }

        var images = new[] { first }.Concat(others).Select(c => ImageOf(c, "shared_one")).ToList();
        Assert.All(images, i => Assert.True(i.Shared));
        Assert.Single(images.Select(i => i.Image).Distinct());
    }

    [Fact]
    public void A_writer_sees_its_rows_alone_until_commit_and_then_every_connection_shares_them()
    {
        var (writer, vectors) = Create("shared_write", 300);
        var reader = Db.Open(wal: true);
        var far = Enumerable.Repeat(100f, Dimension).ToArray();
        Assert.NotEqual(1000L, reader.Knn("shared_write", far, 1)[0].RowId);

        writer.Execute("BEGIN");
        writer.Execute("INSERT INTO shared_write(rowid, vector) VALUES (1000, $v)", ("$v", DiskAnnVector.ToBlob(far)));
        Assert.Equal(1000L, writer.Knn("shared_write", far, 1)[0].RowId);
        Assert.NotEqual(1000L, reader.Knn("shared_write", far, 1)[0].RowId);
        Assert.False(ImageOf(writer, "shared_write").Shared);
        Assert.True(ImageOf(reader, "shared_write").Shared);
        writer.Execute("COMMIT");

        Assert.Equal(1000L, reader.Knn("shared_write", far, 1)[0].RowId);
        Assert.Equal(ImageOf(writer, "shared_write"), ImageOf(reader, "shared_write"));
        Assert.Equal(301L, reader.Count("shared_write"));
        writer.Execute("INSERT INTO shared_write(shared_write) VALUES ('integrity-check')");
        Assert.Equal(vectors.Length, reader.Knn("shared_write", vectors[3], 301).Count(r => r.RowId != 1000));
    }

    [Fact]
    public void A_rolled_back_writer_returns_to_the_shared_image()
    {
        var (writer, vectors) = Create("shared_rollback", 300);
        var reader = Db.Open(wal: true);
        var before = reader.Knn("shared_rollback", vectors[0], 10);
        writer.Execute("BEGIN");
        writer.Execute("DELETE FROM shared_rollback WHERE rowid <= 150");
        writer.Execute("INSERT INTO shared_rollback(rowid, vector) VALUES (5000, $v)", ("$v", DiskAnnVector.ToBlob(vectors[0])));
        Assert.Equal(5000L, writer.Knn("shared_rollback", vectors[0], 1)[0].RowId);
        writer.Execute("ROLLBACK");

        Assert.Equal(before, writer.Knn("shared_rollback", vectors[0], 10));
        Assert.Equal(before, reader.Knn("shared_rollback", vectors[0], 10));
        Assert.Equal(ImageOf(writer, "shared_rollback"), ImageOf(reader, "shared_rollback"));
    }

    [Fact]
    public void A_reader_in_wal_keeps_the_image_of_its_snapshot_while_another_connection_commits()
    {
        var (writer, _) = Create("shared_snapshot", 200);
        var reader = Db.Open(wal: true);
        var far = Enumerable.Repeat(-100f, Dimension).ToArray();
        reader.Execute("BEGIN");
        Assert.Equal(200L, reader.Count("shared_snapshot"));
        writer.Execute("INSERT INTO shared_snapshot(rowid, vector) VALUES (777, $v)", ("$v", DiskAnnVector.ToBlob(far)));

        // The reader's snapshot predates the commit: neither the scan nor a search shows the new row.
        Assert.Equal(200L, reader.Count("shared_snapshot"));
        Assert.DoesNotContain(777L, reader.Knn("shared_snapshot", far, 201, "AND search_list_size = 1000").Select(r => r.RowId));
        reader.Execute("COMMIT");

        Assert.Equal(777L, reader.Knn("shared_snapshot", far, 1)[0].RowId);

        // Compared while a statement on each connection holds the image (between statements a connection holds it
        // weakly, and a collection could drop it in between, leaving nothing to compare).
        using var onWriter = Holding(writer, "shared_snapshot", far);
        using var onReader = Holding(reader, "shared_snapshot", far);
        Assert.Equal(ImageOf(writer, "shared_snapshot"), ImageOf(reader, "shared_snapshot"));
    }

    /// <summary>A KNN query left open on its first row: its cursor keeps the connection's image alive.</summary>
    private static SqliteDataReader Holding(SqliteConnection c, string table, float[] query)
    {
        var command = c.CreateCommand();
        command.CommandText = $"SELECT rowid FROM {table} WHERE vector MATCH $q AND k = 2";
        command.Parameters.AddWithValue("$q", DiskAnnVector.ToBlob(query));
        var rows = command.ExecuteReader(System.Data.CommandBehavior.Default);
        Assert.True(rows.Read());
        return rows;
    }

    [Fact]
    public void Another_process_commits_reach_the_connections_of_this_one_through_one_image()
    {
        // The worker creates its tables (truth, idx) and writes until killed; two connections here read meanwhile.
        using (var writer = WriterProcess.Start(Db.Path, "wal", seed: 97))
        {
            var readers = new[] { Db.Open(wal: true), Db.Open(wal: true) };
            var query = new float[16];
            for (var round = 0; round < 40; round++)
            {
                foreach (var reader in readers)
                {
                    Assert.Equal(5, reader.Knn("idx", query, 5).Count);
                }

                Thread.Sleep(10);
            }

            writer.Kill();
            writer.WaitForExit();
        }

        var connections = new[] { Db.Open(wal: true), Db.Open(wal: true) };
        foreach (var c in connections)
        {
            var truth = ModelCheck.Rows(c, "SELECT id, v FROM truth");
            ModelCheck.All(c, "idx", "l2", truth, [new float[16], Enumerable.Repeat(1f, 16).ToArray()]);
        }

        Assert.Single(connections.Select(c => ImageOf(c, "idx").Image).Distinct());
        connections[0].Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");
    }

    [Fact]
    public async Task Connections_on_several_threads_search_one_image_while_another_writes()
    {
        var (writer, vectors) = Create("shared_threads", 800);
        var readers = Enumerable.Range(0, 4).Select(_ => Db.Open(wal: true)).ToList();
        var expected = vectors.Take(40).Select(v => writer.Knn("shared_threads", v, 5).Select(r => r.RowId).ToList()).ToList();
        using var stop = new CancellationTokenSource();
        var writes = Task.Run(() =>
        {
            // Far from every query: the answers below must not change while these rows arrive.
            var id = 100_000L;
            while (!stop.IsCancellationRequested)
            {
                var v = Enumerable.Repeat(1000f + (id % 7), Dimension).ToArray();
                writer.Execute("INSERT INTO shared_threads(rowid, vector) VALUES ($id, $v)", ("$id", id++), ("$v", DiskAnnVector.ToBlob(v)));
            }
        });

        Parallel.ForEach(readers, new ParallelOptions { MaxDegreeOfParallelism = 4 }, reader =>
        {
            for (var round = 0; round < 5; round++)
            {
                for (var i = 0; i < expected.Count; i++)
                {
                    Assert.Equal(expected[i], reader.Knn("shared_threads", vectors[i], 5).Select(r => r.RowId).ToList());
                }
            }
        });

        stop.Cancel();
        await writes;
        writer.Execute("INSERT INTO shared_threads(shared_threads) VALUES ('integrity-check')");
        var count = writer.Count("shared_threads");
        Assert.All(readers, r => Assert.Equal(count, r.Count("shared_threads")));
        Assert.Single(readers.Append(writer).Select(r => { r.Knn("shared_threads", vectors[0], 1); return ImageOf(r, "shared_threads").Image; }).Distinct());
    }
}
