using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>
/// The vector cache budget of the process's shared image (<c>cache_size_mb</c>): the connections of a process share one
/// budgeted image, search it from many threads while it drops and reads back chunks, and answer exactly as an image
/// holding every vector does; the command or function on any connection sets the budget of that one image. Table names
/// are this class's own: diskann_status is process-wide and other test classes run at the same time.
/// </summary>
public sealed class SharedBudgetTests : DatabaseTest
{
    private const string SearchList = "AND search_list_size = 200";

    private static List<(long Connection, long Image, long Shared, long CacheSizeMb, long VectorBytes)> Status(SqliteConnection c, string table)
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT connection, image, shared, cache_size_mb, vector_bytes FROM diskann_status WHERE name = $n AND file = $f AND loaded = 1";
        command.Parameters.AddWithValue("$n", table);
        command.Parameters.AddWithValue("$f", c.DataSource);
        using var reader = command.ExecuteReader();
        var rows = new List<(long, long, long, long, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return rows;
    }

    /// <summary>
    /// A table, and a copy of its file opened with no budget: the same stored graph, held whole. The copy is another
    /// file, so another image of the process.
    /// </summary>
    private (float[][] Vectors, SqliteConnection Whole) CreateWithCopy(string table, string declaration, float[][] vectors)
    {
        using (var c = new SqliteConnection($"Data Source={Db.Path};Pooling=False"))
        {
            c.Open();
            c.LoadDiskAnn();
            c.Execute($"CREATE VIRTUAL TABLE {table} USING diskann({declaration})");
            c.InsertAll(table, vectors);
        }

        var copy = Path.Combine(Db.Folder, "whole.db");
        File.Copy(Db.Path, copy);
        var whole = new SqliteConnection($"Data Source={copy};Pooling=False");
        whole.Open();
        whole.LoadDiskAnn();
        Assert.Equal(0L, whole.Scalar($"SELECT diskann_cache_size_mb('{table}', 0)"));
        return (vectors, whole);
    }

    [Theory]
    [InlineData("float32", "dimension=128, metric=l2, cache_size_mb=1", 128)]
    [InlineData("int8", "dimension=256, metric=cosine, quantization=int8", 256)]
    public async Task Readers_on_many_threads_answer_from_one_budgeted_image_exactly_as_from_one_held_whole(string kind, string declaration, int dimension)
    {
        // 6,000 vectors: 3 MB of float32 or 1.5 MB of int8 codes, over a budget of 1 MB: declared (the float32 table,
        // which has small chunks), or set before the first load (the int8 one, built faster without a budget).
        var table = $"budget_threads_{kind}";
        var (vectors, whole) = CreateWithCopy(table, declaration, SqlHelpers.Clustered(6000, dimension, seed: 120));
        using var _ = whole;
        var queries = SqlHelpers.Clustered(40, dimension, seed: 121).Concat(vectors.Take(10)).ToArray();
        var expected = queries.Select(q => whole.Knn(table, q, 10, SearchList)).ToArray();

        // The reference against the exact model: float32 distances are exact, the rows nearly the brute-force top 10.
        var metric = declaration.Contains("cosine", StringComparison.Ordinal) ? "cosine" : "l2";
        var recall = 0.0;
        for (var q = 0; q < queries.Length; q++)
        {
            recall += SqlHelpers.Recall(SqlHelpers.ExactTopK(metric, vectors, queries[q], 10), expected[q].Select(h => h.RowId)) / queries.Length;
            if (q >= 40)
            {
                Assert.Equal(q - 40 + 1, expected[q][0].RowId); // a stored vector finds itself
            }

            if (kind == "float32")
            {
                Assert.All(expected[q], h => Assert.Equal(SqlHelpers.ReferenceDistance(metric, queries[q], vectors[h.RowId - 1]), h.Distance, 1e-4));
            }
        }

        Assert.True(recall >= 0.9, $"recall {recall:F3}");
        var connections = Enumerable.Range(0, 4).Select(_ => Db.Open(wal: true)).ToArray();
        Assert.Equal(1L, connections[0].Scalar($"SELECT diskann_cache_size_mb('{table}', 1)"));
        var readers = connections.Select((c, r) => Task.Factory.StartNew(() =>
        {
            for (var round = 0; round < 3; round++)
            {
                for (var i = 0; i < queries.Length; i++)
                {
                    var q = (i + (r * 13)) % queries.Length;
                    Assert.Equal(expected[q], c.Knn(table, queries[q], 10, SearchList));
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(readers);

        var status = Status(connections[0], table);
        Assert.Equal(4, status.Count);
        Assert.Single(status.Select(s => s.Image).Distinct());
        Assert.All(status, s =>
        {
            Assert.Equal(1, s.Shared);
            Assert.Equal(1, s.CacheSizeMb);
            Assert.InRange(s.VectorBytes, 1, 1024 * 1024);
        });
    }

    [Fact]
    public async Task A_writer_commits_while_budgeted_readers_query_and_every_answer_is_exact()
    {
        const int dimension = 64;
        const string table = "budget_writer";
        var vectors = SqlHelpers.Clustered(5000, dimension, seed: 122); // 1.25 MB of float32
        var far = Enumerable.Range(0, 200).Select(i => SqlHelpers.Gaussian(new Random(123 + i), dimension, 1f).Select(x => x + 40f).ToArray()).ToArray();
        var all = vectors.Concat(far).ToArray();
        using (var c = Db.Open(wal: true))
        {
            c.Execute($"CREATE VIRTUAL TABLE {table} USING diskann(dimension={dimension}, metric=l2, cache_size_mb=1)");
            c.InsertAll(table, vectors);
        }

        var writer = Db.Open(wal: true);
        var connections = Enumerable.Range(0, 3).Select(_ => Db.Open(wal: true)).ToArray();
        var queries = SqlHelpers.Clustered(30, dimension, seed: 124);
        var exact = queries.Select(q => SqlHelpers.ExactTopK("l2", vectors, q, 10)).ToArray();
        var done = 0;
        var writing = Task.Factory.StartNew(() =>
        {
            try
            {
                for (var batch = 0; batch < 20; batch++)
                {
                    writer.InsertAll(table, far.Skip(batch * 10).Take(10).ToArray(), firstRowId: vectors.Length + 1 + (batch * 10));
                }
            }
            finally
            {
                Volatile.Write(ref done, 1);
            }
        }, TaskCreationOptions.LongRunning);

        // Each answer's distances are the exact ones of its rows (read back through the reader's own connection, at the
        // generation its snapshot sees), and its rows nearly the exact top 10, whichever commits it sees.
        var readers = connections.Select(c => Task.Factory.StartNew(() =>
        {
            var answers = 0;
            while (Volatile.Read(ref done) == 0 || answers < queries.Length)
            {
                var q = answers++ % queries.Length;
                var hits = c.Knn(table, queries[q], 10, SearchList);
                Assert.Equal(10, hits.Count);
                Assert.All(hits, h => Assert.Equal(SqlHelpers.ReferenceDistance("l2", queries[q], all[h.RowId - 1]), h.Distance, 1e-4));
                Assert.True(SqlHelpers.Recall(exact[q], hits.Select(h => h.RowId)) >= 0.5);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll([writing, .. readers]);

        foreach (var c in connections)
        {
            Assert.Equal(5200L, c.Count(table));
            var hits = c.Knn(table, far[77], 3, SearchList);
            Assert.Equal(vectors.Length + 78, hits[0].RowId);
            Assert.Equal(0, hits[0].Distance, 1e-6);
        }

        var status = Status(writer, table);
        Assert.Single(status.Select(s => s.Image).Distinct());
        Assert.All(status, s => Assert.InRange(s.VectorBytes, 1, 1024 * 1024));
        writer.Execute($"INSERT INTO {table}({table}) VALUES ('integrity-check')");
    }

    [Fact]
    public void The_budget_set_on_one_connection_is_the_budget_of_the_image_every_connection_shares()
    {
        const string table = "budget_setting";
        var vectors = SqlHelpers.Clustered(3000, 128, seed: 125); // 1.5 MB of float32
        using (var c = Db.Open(wal: true))
        {
            c.Execute($"CREATE VIRTUAL TABLE {table} USING diskann(dimension=128, metric=l2, cache_size_mb=1)");
            c.InsertAll(table, vectors);
        }

        var a = Db.Open(wal: true);
        var b = Db.Open(wal: true);
        var expected = a.Knn(table, vectors[5], 10, SearchList);
        Assert.Equal(expected, b.Knn(table, vectors[5], 10, SearchList));
        var image = Assert.Single(Status(a, table).Select(s => s.Image).Distinct());
        Assert.All(Status(a, table), s => Assert.Equal(1, s.CacheSizeMb));

        // Raising it on one connection raises it for both, and keeps the image: nothing is reloaded.
        a.Execute($"INSERT INTO {table}({table}) VALUES ('cache_size_mb=64')");
        Assert.Equal(64L, b.Scalar($"SELECT diskann_cache_size_mb('{table}')"));
        foreach (var v in vectors.Take(200))
        {
            b.Knn(table, v, 10, SearchList);
        }

        var raised = Status(a, table);
        Assert.All(raised, s => Assert.Equal((image, 64L), (s.Image, s.CacheSizeMb)));
        Assert.True(raised[0].VectorBytes > 1024 * 1024, $"{raised[0].VectorBytes} bytes held under 64 MB"); // 1.5 MB all read back

        // Lowering it trims the shared image at once; 0 stops dropping, and chunks missing are still read back.
        Assert.Equal(1L, b.Scalar($"SELECT diskann_cache_size_mb('{table}', 1)"));
        Assert.All(Status(a, table), s => Assert.Equal((image, 1L), (s.Image, s.CacheSizeMb)));
        Assert.InRange(Status(a, table)[0].VectorBytes, 0, 1024 * 1024);
        Assert.Equal(0L, b.Scalar($"SELECT diskann_cache_size_mb('{table}', 0)"));
        Assert.Equal(expected, a.Knn(table, vectors[5], 10, SearchList));
        Assert.All(Status(a, table), s => Assert.Equal((image, 0L), (s.Image, s.CacheSizeMb)));

        // A commit publishes a fork, which takes the budget set since the writer forked.
        a.Execute("BEGIN");
        a.Execute($"INSERT INTO {table}(rowid, vector) VALUES (5001, $v)", ("$v", DiskAnnVector.ToBlob(vectors[9])));
        Assert.Equal(2L, b.Scalar($"SELECT diskann_cache_size_mb('{table}', 2)")); // a SELECT: a holds the write lock
        a.Execute("COMMIT");
        Assert.Equal(3001L, b.Count(table));
        Assert.All(Status(a, table), s => Assert.Equal((1L, 2L), (s.Shared, s.CacheSizeMb)));
        Assert.Single(Status(a, table).Select(s => s.Image).Distinct());

        // Once no connection of the process has the table, the image and its budget go: the declared one is back.
        a.Dispose();
        b.Dispose();
        var c2 = Db.Open(wal: true);
        Assert.Equal(1L, c2.Scalar($"SELECT diskann_cache_size_mb('{table}')"));
        Assert.Equal(expected, c2.Knn(table, vectors[5], 10, SearchList));
    }
}
