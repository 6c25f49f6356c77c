using System.Globalization;

namespace FunctionalTests.Sql;

/// <summary>
/// Random histories of ordinary SQL (bulk loads, single inserts with and without a rowid, INSERT OR REPLACE/IGNORE,
/// UPDATE of vectors and of rowids, deletes down to a few rows, reloads in one transaction, clusters of identical
/// vectors, equidistant vectors, savepoints inside and outside BEGIN, statements that fail half-way after a KNN
/// query, a second connection, reopening) checked after every step against a plain table changed by the same
/// statements in the same transactions (<see cref="DifferentialHistory"/>).
/// DISKANN_DIFF_ROUNDS sets the seeds per configuration (default 3) and DISKANN_DIFF_STEPS the steps per history
/// (default 80) for a longer soak; DISKANN_DIFF_SEED replays one seed (the failure message names it, the step and
/// the last 30 steps).
/// </summary>
public sealed class DifferentialTests
{
    public static TheoryData<string, int, int, bool, string> Configurations => new()
    {
        { "l2", 4, 4, false, "" },
        { "cosine", 8, 6, true, "" },
        { "l2", 16, 0, true, "" },
        { "cosine", 12, 0, false, "" },
        // A cache budget: vectors are read back by chunk and graph work runs on one thread.
        { "l2", 8, 6, true, "cache_size_mb=1" },
        // int8 storage: approximate vectors, graph work on the codes themselves.
        { "cosine", 6, 5, false, "quantization=int8" },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Random_sql_histories_keep_the_index_equal_to_a_plain_table(string metric, int dimension, int maxDegree, bool wal, string options)
    {
        // DISKANN_DIFF_CHECK=ExactScan runs the same histories against an exact SQL scan of the plain table (to check the
        // harness itself), FreshBuild against a fresh diskann build of every state (to tell a defect of the incremental
        // paths from one a fresh build has too).
        var check = Enum.TryParse<DifferentialCheck>(Environment.GetEnvironmentVariable("DISKANN_DIFF_CHECK"), out var c) ? c : DifferentialCheck.Index;
        foreach (var seed in Seeds(dimension))
        {
            using var db = new TestDatabase();
            new DifferentialHistory(db, metric, dimension, maxDegree, wal, seed, check, options).Run(Steps());
        }
    }

    /// <summary>The checker can fail: a row missing from the index, a vector changed behind the model's back.</summary>
    [Fact]
    public void The_model_check_notices_a_missing_row_and_a_changed_vector()
    {
        using var db = new TestDatabase();
        using var c = db.Open();
        c.Execute("CREATE VIRTUAL TABLE t USING diskann(dimension=4, metric=l2)");
        var vectors = SqlHelpers.Clustered(50, 4, seed: 5);
        c.InsertAll("t", vectors);
        var model = vectors.Select((v, i) => (Id: i + 1L, Blob: DiskAnn.DiskAnnVector.ToBlob(v))).ToDictionary(r => r.Id, r => r.Blob);
        var queries = new[] { new float[] { 0, 0, 0, 0 } };
        ModelCheck.All(c, "t", "l2", model, queries);

        c.Execute("DELETE FROM t WHERE rowid = 7");
        var missing = Assert.ThrowsAny<Exception>(() => ModelCheck.All(c, "t", "l2", model, queries));
        Assert.Contains("missing rowids 7", missing.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<Exception>(() => ModelCheck.ExhaustiveKnn(ModelCheck.Knn(c, "t"), "l2", model.ToDictionary(r => r.Key, r => DiskAnn.DiskAnnVector.FromBlob(r.Value)), queries[0]));

        model.Remove(7);
        c.Execute("UPDATE t SET vector = $v WHERE rowid = 8", ("$v", DiskAnn.DiskAnnVector.ToBlob([9, 9, 9, 9])));
        var changed = Assert.ThrowsAny<Exception>(() => ModelCheck.All(c, "t", "l2", model, queries));
        Assert.Contains("other vector bytes at rowids 8", changed.Message, StringComparison.Ordinal);
    }

    private static int Steps() => int.TryParse(Environment.GetEnvironmentVariable("DISKANN_DIFF_STEPS"), out var s) ? s : 80;

    /// <summary>DISKANN_DIFF_SEED alone, or DISKANN_DIFF_ROUNDS seeds (default 3) that differ between configurations.</summary>
    private static IEnumerable<int> Seeds(int dimension)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("DISKANN_DIFF_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var one))
        {
            return [one];
        }

        var rounds = int.TryParse(Environment.GetEnvironmentVariable("DISKANN_DIFF_ROUNDS"), out var r) ? r : 3;
        return Enumerable.Range(0, rounds).Select(i => (dimension * 1000) + i + 1);
    }
}
