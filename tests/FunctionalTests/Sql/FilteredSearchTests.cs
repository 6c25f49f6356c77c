using System.Numerics.Tensors;
using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>
/// Filtered KNN on a table large enough that the graph search (not an exact scan of the matching rows) answers
/// selective filters: checked against a brute-force scan of the rows that pass. Every answer has k rows whenever k
/// match and only rows that pass; recall is high.
/// </summary>
public sealed class FilteredSearchTests : DatabaseTest
{
    private const int Rows = 10_000;
    private const int Dimension = 8;

    [Theory]
    [InlineData("bucket < 5")]
    [InlineData("bucket < 2")]
    [InlineData("lang = 'a'")]
    [InlineData("part = 0")]
    [InlineData("part = 1")]
    [InlineData("part = 1 AND bucket < 5")]
    [InlineData("bucket = 3")]
    [InlineData("part IN (0, 1) AND lang = 'b'")]
    [InlineData("hi = 1")]
    [InlineData("hi = 1 AND bucket != 3")]
    [InlineData("cat = 7")]
    [InlineData("part = 17")]
    public void A_filtered_search_returns_k_passing_rows_close_to_the_exact_answer(string condition)
    {
        var random = new Random(12);
        var vectors = new float[Rows][];
        using var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension={Dimension}, metric=l2, bucket INTEGER, cat INTEGER, lang TEXT, hi INTEGER, part INTEGER PARTITION KEY)");
        c.Execute("CREATE TABLE m(bucket INTEGER, cat INTEGER, lang TEXT, hi INTEGER, part INTEGER)");
        using (var transaction = c.BeginTransaction())
        {
            for (var i = 0; i < Rows; i++)
            {
                var v = vectors[i] = [.. Enumerable.Range(0, Dimension).Select(_ => (float)Gaussian(random))];
                var values = new object[] { i % 10, random.Next(100), random.Next(2) == 0 ? "a" : "b", v[0] > 1 ? 1 : 0, i % 5 < 2 ? 0 : (i % 5 == 2 ? 1 : 2 + random.Next(30)) };
                c.Execute("INSERT INTO t(rowid, vector, bucket, cat, lang, hi, part) VALUES ($id, $v, $b, $c, $l, $h, $p)",
                    ("$id", i + 1), ("$v", DiskAnnVector.ToBlob(v)), ("$b", values[0]), ("$c", values[1]), ("$l", values[2]), ("$h", values[3]), ("$p", values[4]));
                c.Execute("INSERT INTO m(rowid, bucket, cat, lang, hi, part) VALUES ($id, $b, $c, $l, $h, $p)",
                    ("$id", i + 1), ("$b", values[0]), ("$c", values[1]), ("$l", values[2]), ("$h", values[3]), ("$p", values[4]));
            }

            transaction.Commit();
        }

        var passing = c.RowIds($"SELECT rowid FROM m WHERE {condition}", null).ToHashSet();
        Assert.NotEmpty(passing);
        const int k = 10;
        double found = 0, expected = 0;
        for (var q = 0; q < 30; q++)
        {
            var query = q % 3 == 0 ? vectors[random.Next(Rows)] : [.. Enumerable.Range(0, Dimension).Select(_ => (float)Gaussian(random) * 1.5f)];
            var exact = passing.OrderBy(id => TensorPrimitives.Distance(query, vectors[id - 1])).Take(k).ToHashSet();
            var answer = c.RowIds($"SELECT rowid FROM t WHERE vector MATCH $q AND k = {k} AND search_list_size = 10 AND {condition}", query);
            Assert.Equal(Math.Min(k, passing.Count), answer.Count);
            Assert.All(answer, id => Assert.Contains(id, passing));
            found += answer.Count(exact.Contains);
            expected += exact.Count;
        }

        Assert.True(found / expected >= 0.9, $"recall@{k} {found / expected:0.000} for {condition}");
    }

    /// <summary>
    /// A partition that grows past the size from which its rows link among themselves while rows arrive in many small
    /// transactions (its first rows were linked when it was small): a query confined to it still finds the nearest.
    /// </summary>
    [Fact]
    public void A_partition_grown_row_by_row_is_searched_as_well_as_one_loaded_at_once()
    {
        var random = new Random(5);
        var vectors = new List<float[]>();
        using var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension={Dimension}, metric=l2, part INTEGER PARTITION KEY)");
        for (var batch = 0; batch < 60; batch++)
        {
            using var transaction = c.BeginTransaction();
            for (var i = 0; i < 100; i++)
            {
                var v = Enumerable.Range(0, Dimension).Select(_ => (float)Gaussian(random)).ToArray();
                vectors.Add(v);
                c.Execute("INSERT INTO t(rowid, vector, part) VALUES ($id, $v, $p)", ("$id", vectors.Count), ("$v", DiskAnnVector.ToBlob(v)), ("$p", vectors.Count % 5 == 0 ? 0 : 1 + random.Next(40)));
            }

            transaction.Commit();
        }

        var members = Enumerable.Range(1, vectors.Count).Where(id => id % 5 == 0).Select(id => (long)id).ToList();
        double found = 0;
        for (var q = 0; q < 50; q++)
        {
            float[] query = [.. Enumerable.Range(0, Dimension).Select(_ => (float)Gaussian(random))];
            var exact = members.OrderBy(id => TensorPrimitives.Distance(query, vectors[(int)id - 1])).Take(10).ToHashSet();
            var answer = c.RowIds("SELECT rowid FROM t WHERE vector MATCH $q AND k = 10 AND search_list_size = 10 AND part = 0", query);
            Assert.Equal(10, answer.Count);
            Assert.All(answer, id => Assert.Equal(0, id % 5));
            found += answer.Count(exact.Contains);
        }

        Assert.True(found / 500 >= 0.9, $"recall@10 {found / 500:0.000} in the partition");
    }

    /// <summary>
    /// A filter correlated with the vectors that many rows pass (a fifth: the rows of a cluster away from the others),
    /// queried from among the others: the widened beams find none of them near the query and the filtered walk takes
    /// over (with a list of k, or a quarter of the query's list). Whatever the list size, k rows that pass come back,
    /// close to the exact answer. (Rows enough that a scan of those that pass is not cheaper at these list sizes.)
    /// </summary>
    [Fact]
    public void A_query_far_from_the_rows_a_correlated_filter_passes_gets_their_nearest()
    {
        static bool FarSide(long id) => id % 5 == 1;
        var random = new Random(21);
        var vectors = new float[24_000][];
        using var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension={Dimension}, metric=l2, side INTEGER)");
        using (var transaction = c.BeginTransaction())
        {
            for (var id = 1; id <= vectors.Length; id++)
            {
                var shift = FarSide(id) ? 4f : 0f;
                var v = vectors[id - 1] = [.. Enumerable.Range(0, Dimension).Select(d => (float)Gaussian(random) + (d == 0 ? shift : 0f))];
                c.Execute("INSERT INTO t(rowid, vector, side) VALUES ($id, $v, $s)", ("$id", id), ("$v", DiskAnnVector.ToBlob(v)), ("$s", FarSide(id) ? 1 : 0));
            }

            transaction.Commit();
        }

        var passing = Enumerable.Range(1, vectors.Length).Select(id => (long)id).Where(FarSide).ToList();
        const int k = 10, Queries = 30;
        foreach (var listSize in new[] { 20, 48, 100 })
        {
            double found = 0;
            for (var q = 0; q < Queries; q++)
            {
                float[] query = [.. Enumerable.Range(0, Dimension).Select(d => (float)Gaussian(random) - (d == 0 ? 1f : 0f))];
                var exact = passing.OrderBy(id => TensorPrimitives.Distance(query, vectors[id - 1])).Take(k).ToHashSet();
                var answer = c.RowIds($"SELECT rowid FROM t WHERE vector MATCH $q AND k = {k} AND search_list_size = {listSize} AND side = 1", query);
                Assert.Equal(k, answer.Count);
                Assert.All(answer, id => Assert.True(FarSide(id), $"row {id} does not pass"));
                found += answer.Count(exact.Contains);
            }

            Assert.True(found / (Queries * k) >= 0.9, $"recall@{k} {found / (Queries * k):0.000} at search_list_size {listSize}");
        }
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
