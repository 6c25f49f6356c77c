using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>
/// Vectors whose distances float32 cannot hold (a component beyond ±1e15, a norm below 1e-15 that is not 0) are
/// refused by inserts, queries and the distance functions alike, with the limit in the message; at the limits,
/// every distance is finite, right and ranked right.
/// </summary>
public sealed class VectorRangeTests : DatabaseTest
{
    private static readonly byte[] Subnormal = DiskAnnVector.ToBlob([float.Epsilon, 0]);   // 1.4e-45: not zero

    [Theory]
    [InlineData("cosine")]
    [InlineData("l2")]
    [InlineData("dot")]
    public void Vectors_out_of_range_are_refused_with_the_limit_and_change_nothing(string metric)
    {
        using var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension=2, metric={metric})");
        c.Execute("INSERT INTO t(rowid, vector) VALUES (1, vector_from_json('[1, 1]'))");

        void Refused(string sql, object? vector, string expected)
        {
            var e = Assert.Throws<SqliteException>(() => c.Execute(sql, ("$v", vector)));
            Assert.Contains(expected, e.Message);
        }

        foreach (var huge in new[] { "[3e38, -3e38]", "[1e30, 1e30]", "[1, 1.1e15]" })
        {
            var blob = (byte[])c.Scalar($"SELECT vector_from_json('{huge}')")!;
            Refused("INSERT INTO t(rowid, vector) VALUES (2, $v)", blob, "beyond ±1e15 where distances overflow float32; scale the vectors down");
            Refused("SELECT count(*) FROM t WHERE vector MATCH $v AND k = 1", blob, "the query vector (MATCH) has the value");
            Refused($"SELECT vector_distance_{metric}($v, vector_from_json('[1, 1]'))", blob, "argument 1 has the value");
        }

        foreach (var tiny in new[] { Subnormal, DiskAnnVector.ToBlob([1e-20f, -1e-20f]) })
        {
            Refused("INSERT INTO t(rowid, vector) VALUES (2, $v)", tiny, "not 0 but below 1e-15 where distances underflow float32");
            Refused("SELECT count(*) FROM t WHERE vector MATCH $v AND k = 1", tiny, "below 1e-15");
            Refused($"SELECT vector_distance_{metric}(vector_from_json('[1, 1]'), $v)", tiny, "argument 2 has the norm");
        }

        Assert.Equal(1L, c.Count("t"));
        c.Execute("INSERT INTO t(t) VALUES ('integrity-check')");
    }

    [Theory]
    [InlineData("cosine", "none")]
    [InlineData("l2", "none")]
    [InlineData("dot", "none")]
    [InlineData("cosine", "int8")]
    [InlineData("l2", "int8")]
    [InlineData("dot", "int8")]
    public void At_the_limits_distances_are_finite_right_and_ranked_as_by_brute_force(string metric, string quantization)
    {
        using var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension=2, metric={metric}, quantization={quantization})");
        // int8 stores an approximation (v[i] within 1/254 of max|v|): its distances are checked against the
        // vectors it returns, which are that approximation.
        float[][] vectors =
        [
            [1e15f, 1e15f], [1e15f, -1e15f], [-1e15f, 1e14f], [1, 1], [1, 0], [0, 0],
            [1e-15f, 0], [0, -2e-15f], [3e-16f, 1e-15f], [5e14f, 5e14f], [-1e15f, -1e15f],
        ];
        c.InsertAll("t", vectors);
        foreach (var q in new[] { new[] { 1e15f, 1e15f }, [1e-15f, 1e-15f], [-1e15f, 0], [1, 0], [0, 1e-15f] })
        {
            var rows = c.Knn("t", q, vectors.Length);
            Assert.Equal(vectors.Length, rows.Count);
            // (1 - 0/0 for the zero vector is NaN: its cosine distance is 1, it has no direction.)
            var reference = rows.Select(r => metric == "cosine" && vectors[r.RowId - 1].All(x => x == 0) ? 1.0 : SqlHelpers.ReferenceDistance(metric, q, vectors[r.RowId - 1])).ToList();
            foreach (var ((rowId, distance), expected) in rows.Zip(reference))
            {
                Assert.True(double.IsFinite(distance), $"distance of row {rowId}: {distance}");
                if (quantization == "none")
                {
                    Assert.Equal(expected, distance, Math.Max(1e-5, Math.Abs(expected) * 1e-5));
                }

                var function = (double)c.Scalar($"SELECT vector_distance_{metric}($q, vector) FROM t WHERE rowid = $id", ("$q", DiskAnnVector.ToBlob(q)), ("$id", rowId))!;
                Assert.Equal(function, distance, Math.Max(1e-6, Math.Abs(distance) * 1e-4));
            }

            Assert.True(rows.Zip(rows.Skip(1)).All(p => p.First.Distance <= p.Second.Distance), "nearest first");
            if (quantization == "none")
            {
                // The order of the exact distances (up to float32 rounding between near-ties).
                Assert.All(reference.Zip(reference.Skip(1)), p => Assert.True(p.First <= p.Second + Math.Max(1e-5, Math.Abs(p.Second) * 1e-5), $"{p.First} before {p.Second}"));
            }
        }

        c.Execute("INSERT INTO t(t) VALUES ('integrity-check')");
    }
}
