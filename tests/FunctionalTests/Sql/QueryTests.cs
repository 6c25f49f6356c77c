using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

public sealed class QueryTests : DatabaseTest
{
    [Theory]
    [InlineData("cosine")]
    [InlineData("l2")]
    [InlineData("dot")]
    public void Knn_finds_the_exact_neighbours_nearest_first_with_exact_distances(string metric)
    {
        using var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE idx USING diskann(dimension=16, metric={metric})");
        var vectors = SqlHelpers.Clustered(2000, 16, seed: 10);
        c.InsertAll("idx", vectors);
        var queries = SqlHelpers.Clustered(30, 16, seed: 11);

        var recall = 0.0;
        foreach (var q in queries)
        {
            // Inner-product search is harder to navigate than a true metric (large-norm points attract every
            // query), so the dot metric is checked with a wider list, as the README advises.
            var rows = c.Knn("idx", q, 10, metric == "dot" ? "AND search_list_size = 200" : "");
            Assert.Equal(10, rows.Count);
            Assert.True(rows.Zip(rows.Skip(1)).All(p => p.First.Distance <= p.Second.Distance), "nearest first");
            foreach (var (rowId, distance) in rows)
            {
                Assert.Equal(SqlHelpers.ReferenceDistance(metric, q, vectors[rowId - 1]), distance, 1e-4);
                var exact = (double)c.Scalar($"SELECT vector_distance_{metric}(vector, $q) FROM idx WHERE rowid = $id", ("$q", DiskAnnVector.ToBlob(q)), ("$id", rowId))!;
                Assert.Equal(exact, distance);
            }

            recall += SqlHelpers.Recall(SqlHelpers.ExactTopK(metric, vectors, q, 10), rows.Select(r => r.RowId));
        }

        Assert.True(recall / queries.Length >= 0.95, $"recall@10 {recall / queries.Length}");
    }

    [Fact]
    public void Limit_acts_as_k_and_search_list_size_is_accepted()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=8)");
        var vectors = SqlHelpers.Clustered(500, 8, seed: 12);
        c.InsertAll("idx", vectors);
        var q = vectors[17];

        using var command = c.CreateCommand();
        command.CommandText = "SELECT rowid, distance FROM idx WHERE vector MATCH $q ORDER BY distance LIMIT 5";
        command.Parameters.AddWithValue("$q", DiskAnnVector.ToBlob(q));
        var viaLimit = new List<long>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                viaLimit.Add(reader.GetInt64(0));
            }
        }

        var viaK = c.Knn("idx", q, 5).Select(r => r.RowId).ToList();
        var wide = c.Knn("idx", q, 5, "AND search_list_size = 200").Select(r => r.RowId).ToList();
        Assert.Equal(5, viaLimit.Count);
        Assert.Equal(viaK, viaLimit);
        Assert.Equal(18L, viaK[0]);
        Assert.Equal(SqlHelpers.ExactTopK("cosine", vectors, q, 5), wide);
    }

    [Fact]
    public void Limit_with_offset_skips_the_nearest()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=1, metric=l2)");
        c.InsertAll("idx", Enumerable.Range(0, 100).Select(i => new float[] { i }).ToList());
        var rows = new List<long>();
        using var command = c.CreateCommand();
        command.CommandText = "SELECT rowid FROM idx WHERE vector MATCH $q ORDER BY distance LIMIT 3 OFFSET 2";
        command.Parameters.AddWithValue("$q", DiskAnnVector.ToBlob([50f]));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(reader.GetInt64(0));
        }

        // Distances 0 (51), 1 (50, 52), 2 (49, 53): skipping two leaves one at 1 and two at 2.
        Assert.Equal(3, rows.Count);
        Assert.Contains(rows[0], new long[] { 50, 52 });
        Assert.All(rows.Skip(1), r => Assert.Contains(r, new long[] { 49, 53 }));
    }

    [Fact]
    public void Stored_vectors_come_back_and_a_scan_sees_every_row()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=5)");
        var vectors = SqlHelpers.Clustered(300, 5, seed: 13);
        c.InsertAll("idx", vectors, firstRowId: 1000);
        Assert.Equal(300L, c.Count("idx"));
        var blob = (byte[])c.Scalar("SELECT vector FROM idx WHERE rowid = 1042")!;
        Assert.Equal(vectors[42], DiskAnnVector.FromBlob(blob));
        Assert.Equal(Enumerable.Range(1000, 300).Sum(i => (long)i), (long)c.Scalar("SELECT sum(rowid) FROM idx")!);
        Assert.Null(c.Scalar("SELECT vector FROM idx WHERE rowid = 5"));
        Assert.Equal(3L, c.Scalar("SELECT count(*) FROM idx WHERE rowid IN (1000, 1001, 1299, 7)"));
    }

    [Fact]
    public void Knn_joins_back_to_an_ordinary_table()
    {
        using var c = Db.Open();
        c.Execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, title TEXT)");
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=1, metric=l2)");
        for (var i = 1; i <= 20; i++)
        {
            c.Execute("INSERT INTO docs VALUES ($i, $t)", ("$i", i), ("$t", $"doc {i}"));
            c.Execute("INSERT INTO idx(rowid, vector) VALUES ($i, $v)", ("$i", i), ("$v", DiskAnnVector.ToBlob([i])));
        }

        using var command = c.CreateCommand();
        command.CommandText = "SELECT d.title FROM (SELECT rowid, distance FROM idx WHERE vector MATCH $q AND k = 3) AS n JOIN docs d ON d.id = n.rowid ORDER BY n.distance";
        command.Parameters.AddWithValue("$q", DiskAnnVector.ToBlob([7.1f]));
        using var reader = command.ExecuteReader();
        var titles = new List<string>();
        while (reader.Read())
        {
            titles.Add(reader.GetString(0));
        }

        Assert.Equal(["doc 7", "doc 8", "doc 6"], titles);
    }

    [Fact]
    public void Filtered_knn_returns_the_k_nearest_allowed_rows_at_every_selectivity()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=12)");
        c.Execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, bucket INTEGER)");
        var vectors = SqlHelpers.Clustered(3000, 12, seed: 14);
        c.InsertAll("idx", vectors);
        using (var t = c.BeginTransaction())
        {
            for (var i = 1; i <= vectors.Length; i++)
            {
                c.Execute("INSERT INTO docs VALUES ($i, $b)", ("$i", i), ("$b", (i * 7919) % 1000));
            }

            t.Commit();
        }

        foreach (var below in new[] { 2, 10, 100, 500 })
        {
            var recall = 0.0;
            foreach (var q in SqlHelpers.Clustered(10, 12, seed: 15 + below))
            {
                var rows = c.Knn("idx", q, 10, $"AND rowid IN (SELECT id FROM docs WHERE bucket < {below})");
                var expected = SqlHelpers.ExactTopK("cosine", vectors, q, 10, id => (id * 7919) % 1000 < below);
                Assert.Equal(expected.Count, rows.Count);
                Assert.All(rows, r => Assert.True((r.RowId * 7919) % 1000 < below));
                recall += SqlHelpers.Recall(expected, rows.Select(r => r.RowId));
            }

            Assert.True(recall / 10 >= 0.95, $"bucket < {below}: recall {recall / 10}");
        }
    }

    [Fact]
    public void A_filter_list_with_repeats_and_unknown_rowids_returns_each_row_once()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=4)");
        var vectors = SqlHelpers.Clustered(200, 4, seed: 17);
        c.InsertAll("idx", vectors);
        var rows = c.Knn("idx", vectors[0], 10, "AND rowid IN (1, 1, 2, 2, 3, 9999)");
        Assert.Equal([1L, 2L, 3L], rows.Select(r => r.RowId).Order());
        Assert.Equal(3L, c.Scalar("SELECT count(*) FROM idx WHERE rowid IN (1, 1, 2, 3, 9999)"));
    }

    [Fact]
    public void Bad_queries_fail_with_a_message_naming_the_problem()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=4)");
        c.InsertAll("idx", SqlHelpers.Clustered(20, 4, seed: 16));
        var good = DiskAnnVector.ToBlob([1, 2, 3, 4]);

        void Fails(string where, object? q, string expected)
        {
            var e = Assert.Throws<SqliteException>(() => c.Scalar($"SELECT count(*) FROM idx WHERE {where}", ("$q", q)));
            Assert.Contains(expected, e.Message);
        }

        Fails("vector MATCH $q", good, "needs k");
        Fails("vector MATCH $q AND k = 0", good, "k must be from 1");
        Fails("vector MATCH $q AND k = -5", good, "k must be from 1");
        Fails("vector MATCH $q AND k = 100000000", good, "k must be from 1 to 10000");
        Fails("vector MATCH $q AND k = 'ten'", good, "k must be an integer");
        Fails("vector MATCH $q AND k = 3 AND search_list_size = 0", good, "search_list_size");
        Fails("vector MATCH $q AND k = 3", DiskAnnVector.ToBlob([1, 2, 3]), "has 12 bytes");
        Fails("vector MATCH $q AND k = 3", null, "NULL");
        Fails("vector MATCH $q AND k = 3", "[1,2,3,4]", "TEXT");
        Fails("vector MATCH $q AND k = 3", DiskAnnVector.ToBlob([1, float.NaN, 3, 4]), "NaN");
        Assert.Equal(3L, c.Scalar("SELECT count(*) FROM idx WHERE vector MATCH $q AND k = 3", ("$q", good)));
    }
}
