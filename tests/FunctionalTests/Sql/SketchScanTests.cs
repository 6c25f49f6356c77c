using System.Numerics.Tensors;
using DiskAnn;

namespace FunctionalTests.Sql;

/// <summary>
/// The exact scan of a filter's matching rows, when they are many, ranks them by one-bit-per-dimension sketches first
/// and measures only the best few (Graph/BinarySketches.cs). These tests hold it to the exact filtered answer (a
/// brute-force scan of the rows that pass) at dimensions where it is used, for each metric, on data centred and not
/// (all components positive: sketches are taken against the mean), with rows written after the sketches were built
/// (inserted, updated, deleted: the sketches follow every write), and after a rollback.
/// </summary>
public sealed class SketchScanTests : DatabaseTest
{
    private const int Rows = 6_000;
    private const int Dimension = 128;
    private const int K = 10;

    [Theory]
    [InlineData("cosine", false)]
    [InlineData("l2", false)]
    [InlineData("l2", true)]
    [InlineData("dot", true)]
    [InlineData("cosine", true)]
    public void A_scan_of_many_matching_rows_finds_the_exact_nearest(string metric, bool positive)
    {
        var random = new Random(metric.Length + (positive ? 100 : 0));
        var centres = Enumerable.Range(0, 40).Select(_ => Vector(random, positive, 1f)).ToArray();
        float[] Row() => [.. centres[random.Next(centres.Length)].Zip(Vector(random, positive, 0.35f), (c, n) => c + n)];

        var vectors = new Dictionary<long, float[]>();
        var buckets = new Dictionary<long, int>();
        using var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension={Dimension}, metric={metric}, bucket INTEGER)");
        void Insert(long id)
        {
            vectors[id] = Row();
            buckets[id] = (int)(id % 5);
            c.Execute("INSERT INTO t(rowid, vector, bucket) VALUES ($id, $v, $b)", ("$id", id), ("$v", DiskAnnVector.ToBlob(vectors[id])), ("$b", buckets[id]));
        }

        using (var transaction = c.BeginTransaction())
        {
            for (var id = 1L; id <= Rows; id++)
            {
                Insert(id);
            }

            transaction.Commit();
        }

        // bucket = 1: a fifth of the rows, more than a graph search would pay for at this list size: the scan answers.
        AssertFindsExact(c, metric, vectors, buckets, random, centres, positive);

        // Written after the sketches were built: new rows, moved vectors, deleted rows, and a rolled-back write.
        using (var transaction = c.BeginTransaction())
        {
            for (var id = Rows + 1L; id <= Rows + 600; id++)
            {
                Insert(id);
            }

            for (var id = 1L; id <= 600; id += 2)
            {
                vectors[id] = Row();
                c.Execute("UPDATE t SET vector = $v WHERE rowid = $id", ("$id", id), ("$v", DiskAnnVector.ToBlob(vectors[id])));
            }

            for (var id = 2L; id <= 600; id += 6)
            {
                vectors.Remove(id);
                buckets.Remove(id);
                c.Execute("DELETE FROM t WHERE rowid = $id", ("$id", id));
            }

            transaction.Commit();
        }

        using (var transaction = c.BeginTransaction())
        {
            c.Execute("UPDATE t SET vector = $v WHERE rowid <= 300", ("$v", DiskAnnVector.ToBlob(Row())));
            transaction.Rollback();
        }

        AssertFindsExact(c, metric, vectors, buckets, random, centres, positive);
    }

    private static void AssertFindsExact(
        Microsoft.Data.Sqlite.SqliteConnection c, string metric, Dictionary<long, float[]> vectors, Dictionary<long, int> buckets, Random random, float[][] centres, bool positive)
    {
        var passing = buckets.Where(b => b.Value == 1).Select(b => b.Key).ToList();
        double found = 0, expected = 0;
        for (var q = 0; q < 30; q++)
        {
            float[] query = [.. centres[random.Next(centres.Length)].Zip(Vector(random, positive, 0.5f), (x, n) => x + n)];
            var exact = passing.OrderBy(id => Distance(metric, query, vectors[id])).Take(K).ToHashSet();
            var answer = c.RowIds($"SELECT rowid FROM t WHERE vector MATCH $q AND k = {K} AND search_list_size = 10 AND bucket = 1", query);
            Assert.Equal(K, answer.Count);
            Assert.All(answer, id => Assert.Equal(1, buckets[id]));
            found += answer.Count(exact.Contains);
            expected += exact.Count;
        }

        Assert.True(found / expected >= 0.9, $"recall@{K} {found / expected:0.000} ({metric}, {(positive ? "positive" : "centred")})");
    }

    private static float[] Vector(Random random, bool positive, float spread)
        => [.. Enumerable.Range(0, Dimension).Select(_ => positive ? spread * (float)random.NextDouble() : spread * (float)((random.NextDouble() * 2) - 1))];

    private static float Distance(string metric, float[] a, float[] b) => metric switch
    {
        "cosine" => 1 - TensorPrimitives.CosineSimilarity(a, b),
        "l2" => TensorPrimitives.Distance(a, b),
        _ => -TensorPrimitives.Dot(a, b),
    };
}
