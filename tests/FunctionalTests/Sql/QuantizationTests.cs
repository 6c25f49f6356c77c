using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary><c>quantization=int8</c>: a quarter of the vector bytes, near-float recall, the same SQL surface.</summary>
public sealed class QuantizationTests : DatabaseTest
{
    [Theory]
    [InlineData("cosine")]
    [InlineData("l2")]
    [InlineData("dot")]
    public void An_int8_index_finds_nearly_what_a_float_index_finds(string metric)
    {
        var vectors = SqlHelpers.Clustered(1500, 48, seed: 70);
        var queries = SqlHelpers.Clustered(30, 48, seed: 71);
        using var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE q8 USING diskann(dimension=48, metric={metric}, quantization=int8)");
        c.Execute($"CREATE VIRTUAL TABLE f32 USING diskann(dimension=48, metric={metric})");
        c.InsertAll("q8", vectors);
        c.InsertAll("f32", vectors);

        var recall = 0.0;
        var floatRecall = 0.0;
        foreach (var query in queries)
        {
            var hits = c.Knn("q8", query, 10);
            Assert.Equal(10, hits.Count);
            Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Distance <= p.Second.Distance), "results are nearest first");
            var exactTop = SqlHelpers.ExactTopK(metric, vectors, query, 10);
            recall += SqlHelpers.Recall(exactTop, hits.Select(h => h.RowId));
            floatRecall += SqlHelpers.Recall(exactTop, c.Knn("f32", query, 10).Select(h => h.RowId));

            // The reported distance is the distance to the stored approximation: close to the exact one.
            var exact = SqlHelpers.ReferenceDistance(metric, query, vectors[(int)hits[0].RowId - 1]);
            Assert.InRange(hits[0].Distance, exact - (0.02 * Math.Max(1, Math.Abs(exact))), exact + (0.02 * Math.Max(1, Math.Abs(exact))));
        }

        recall /= queries.Length;
        floatRecall /= queries.Length;
        Assert.True(recall >= floatRecall - 0.05, $"int8 recall@10 {recall:F3}, float32 {floatRecall:F3}, against the exact answer");
        Assert.True(recall >= 0.8, $"int8 recall@10 {recall:F3}");
    }

    [Fact]
    public void Int8_storage_takes_well_under_half_the_float_bytes()
    {
        var vectors = SqlHelpers.Clustered(1024, 384, seed: 72);
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE f32 USING diskann(dimension=384)");
        c.Execute("CREATE VIRTUAL TABLE q8 USING diskann(dimension=384, quantization=int8)");
        c.InsertAll("f32", vectors);
        c.InsertAll("q8", vectors);

        long Stored(string t) => (long)c.Scalar($"SELECT (SELECT sum(length(data)) FROM {t}_vectors) + (SELECT sum(length(data)) FROM {t}_graph)")!;
        var raw = 1024.0 * 384 * sizeof(float);
        Assert.InRange(Stored("q8") / raw, 0.2, 0.5);
        Assert.InRange(Stored("q8") / (double)Stored("f32"), 0.2, 0.45);
    }

    [Fact]
    public void Int8_index_survives_reopen_updates_deletes_and_integrity_check()
    {
        var vectors = SqlHelpers.Clustered(600, 32, seed: 73);
        using (var c = Db.Open())
        {
            c.Execute("CREATE VIRTUAL TABLE q8 USING diskann(dimension=32, metric=l2, quantization=int8)");
            c.InsertAll("q8", vectors);
            c.Execute("DELETE FROM q8 WHERE rowid <= 100");
            c.Execute("UPDATE q8 SET vector = $v WHERE rowid = 200", ("$v", DiskAnn.DiskAnnVector.ToBlob(vectors[0])));
        }

        using var reopened = Db.Open();
        Assert.Equal(500L, reopened.Count("q8"));
        Assert.Equal("ok", reopened.Scalar("PRAGMA integrity_check"));
        reopened.Execute("INSERT INTO q8(q8) VALUES ('integrity-check')");

        // Row 200 now holds vector 0 (whose own row is deleted): it is its own nearest neighbour.
        var hits = reopened.Knn("q8", vectors[0], 3);
        Assert.Equal(200, hits[0].RowId);
        Assert.True(hits[0].Distance < 0.05 * Math.Sqrt(vectors[0].Sum(x => x * x)), $"distance {hits[0].Distance}");
        Assert.DoesNotContain(hits, h => h.RowId <= 100);

        // The vector column returns the stored approximation: close to what was inserted.
        var blob = (byte[])reopened.Scalar("SELECT vector FROM q8 WHERE rowid = 300")!;
        var stored = DiskAnn.DiskAnnVector.FromBlob(blob);
        Assert.Equal(32, stored.Length);
        var max = vectors[299].Max(Math.Abs);
        Assert.All(stored.Zip(vectors[299]), p => Assert.InRange(p.First, p.Second - (max / 127), p.Second + (max / 127)));
    }

    [Fact]
    public void Unknown_quantization_is_refused_with_its_name()
    {
        using var c = Db.Open();
        var e = Assert.Throws<SqliteException>(() => c.Execute("CREATE VIRTUAL TABLE q USING diskann(dimension=4, quantization=int4)"));
        Assert.Contains("'quantization' must be none or int8", e.Message);
        Assert.Contains("int4", e.Message);
    }

    [Fact]
    public void A_version_1_file_written_before_quantization_existed_still_opens_as_float32()
    {
        var vectors = SqlHelpers.Clustered(200, 8, seed: 74);
        using (var c = Db.Open())
        {
            c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=8)");
            c.InsertAll("idx", vectors);

            // What a version 1 file looks like: no vector_encoding key.
            c.Execute("UPDATE idx_config SET value = 1 WHERE key = 'format_version'");
            c.Execute("DELETE FROM idx_config WHERE key = 'vector_encoding'");
        }

        using var reopened = Db.Open();
        var hits = reopened.Knn("idx", vectors[5], 1);
        Assert.Equal(6, hits[0].RowId);
        Assert.Equal(0, hits[0].Distance, 5);
    }
}
