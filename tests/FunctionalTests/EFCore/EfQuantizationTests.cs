using DiskAnn;
using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

/// <summary>
/// The storage options in the EF Core model over a file database: <c>HasQuantization(Int8)</c> (an approximate index,
/// re-ranked by the exact function in LINQ) and <c>HasCacheSize</c>, created by <c>EnsureCreated</c> and by migrations.
/// </summary>
public sealed class EfQuantizationTests : IDisposable
{
    private const int Rows = 300;
    private const string Index = "IX_Passages_Embedding";

    private readonly EfTestDatabase _database = new();
    private readonly SqlCapture _sql = new();
    private readonly List<float[]> _vectors = [];
    private readonly float[] _query;

    public EfQuantizationTests()
    {
        // Every vector is the query plus a tenth of a random one: the nearest rows are a few 1e-5 apart in cosine distance,
        // less than the int8 approximation's error, so the index's own top 5 is not the exact one (asserted below).
        var random = new Random(2);
        _query = Gaussian(random);
        for (var i = 0; i < Rows; i++)
        {
            var noise = Gaussian(random);
            _vectors.Add([.. _query.Zip(noise, (q, n) => q + (0.1f * n))]);
        }
    }

    public void Dispose() => _database.Dispose();

    private static float[] Gaussian(Random random)
        => [.. Enumerable.Range(0, PassagesContext.Dimension).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];

    private PassagesContext Context(PassageIndex kind) => new(_database.ConnectionString, kind, _sql);

    private void Seed(PassagesContext db)
    {
        db.Passages.AddRange(_vectors.Select(v => new Passage { Embedding = v }));
        db.SaveChanges();
        _sql.Clear();
    }

    /// <summary>A context whose database <c>EnsureCreated</c> made, asserting the index's declaration, with the rows added.</summary>
    private PassagesContext Created(PassageIndex kind, string declaration)
    {
        var db = Context(kind);
        db.Database.EnsureCreated();
        Assert.Contains(declaration, EfMigrationTests.TableSql(db, Index));
        Seed(db);
        return db;
    }

    /// <summary>The exact answer, computed here: ids (1-based, in insertion order) and cosine distances.</summary>
    private List<(int Id, double Distance)> Exact(Func<int, bool>? where = null)
        => _vectors.Select((v, i) => (Id: i + 1, Distance: DocsData.Cosine(v, _query)))
            .Where(e => where?.Invoke(e.Id) ?? true)
            .OrderBy(e => e.Distance)
            .ToList();

    /// <summary>The scalar function's value for one row, as SQLite computes it.</summary>
    private static double ScalarDistance(PassagesContext db, int id, float[] query)
        => db.Database.SqlQuery<double>($"SELECT vector_distance_cosine(\"Embedding\", {DiskAnnVector.ToBlob(query)}) AS \"Value\" FROM \"Passages\" WHERE \"Id\" = {id}").AsEnumerable().Single();

    /// <summary>The index alone, without EF Core: its k nearest ids and its distances.</summary>
    private static List<(long Id, double Distance)> IndexOnly(PassagesContext db, float[] query, int k)
        => db.Database.SqlQuery<IndexHit>($"SELECT rowid AS \"Id\", distance AS \"Distance\" FROM \"IX_Passages_Embedding\" WHERE vector MATCH {DiskAnnVector.ToBlob(query)} AND k = {k}")
            .AsEnumerable().Select(h => (h.Id, h.Distance)).ToList();

    /// <summary>The LINQ KNN returns the exact ids, and distances equal to the scalar function's and to the C# ones.</summary>
    private void AssertExact(PassagesContext db, List<(int Id, double Distance)> exact, IReadOnlyList<(int Id, double Distance)> hits)
    {
        Assert.Equal(exact.Select(e => e.Id), hits.Select(h => h.Id));
        for (var i = 0; i < hits.Count; i++)
        {
            Assert.Equal(ScalarDistance(db, hits[i].Id, _query), hits[i].Distance);
            Assert.InRange(Math.Abs(exact[i].Distance - hits[i].Distance), 0, 1e-6);
        }
    }

    private List<(int Id, double Distance)> Knn(PassagesContext db, int k)
    {
        var query = _query;
        return db.Passages
            .OrderBy(p => EF.Functions.VectorDistance(p.Embedding, query))
            .Take(k)
            .Select(p => new { p.Id, Distance = EF.Functions.VectorDistance(p.Embedding, query) })
            .AsEnumerable()
            .Select(h => (h.Id, h.Distance))
            .ToList();
    }

    [Fact]
    public void An_int8_index_from_EnsureCreated_is_declared_int8_and_LINQ_re_ranks_it_to_the_exact_answer()
    {
        using var db = Created(PassageIndex.Int8, "USING diskann(dimension=32, metric=cosine, quantization=int8)");
        var exact = Exact().Take(5).ToList();

        // The premise: the index alone ranks by its approximation, and here its top 5 and its distances are not exact.
        var indexOnly = IndexOnly(db, _query, 5);
        Assert.NotEqual(exact.Select(e => (long)e.Id).Order(), indexOnly.Select(h => h.Id).Order());
        Assert.Contains(indexOnly, h => Math.Abs(h.Distance - DocsData.Cosine(_vectors[(int)h.Id - 1], _query)) > 1e-5);

        var hits = Knn(db, 5);
        SqlCapture.AssertSql(
            """
            SELECT "p"."Id", vector_distance_cosine("p"."Embedding", @query0) AS "Distance"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Passages_Embedding"
                WHERE vector MATCH @query AND k = max(@p, min(@p * 4, 10000))
            ) AS "k"
            CROSS JOIN "Passages" AS "p"
            WHERE "p"."Id" = "k"."key"
            ORDER BY vector_distance_cosine("p"."Embedding", @query1) NULLS LAST
            LIMIT +@p
            """,
            _sql.Last);
        AssertExact(db, exact, hits);
    }

    [Fact]
    public void A_distance_projected_and_ordered_by_and_a_filter_stay_exact_over_an_int8_index()
    {
        using var db = Created(PassageIndex.Int8, "quantization=int8");
        var query = _query;

        // Ordering by the projected distance: a float32 index would read its own distance column here.
        var projected = db.Passages
            .Select(p => new { p.Id, Distance = EF.Functions.VectorDistance(p.Embedding, query) })
            .OrderBy(x => x.Distance)
            .Take(5)
            .ToList();
        Assert.Contains("vector MATCH", _sql.Last);
        Assert.DoesNotContain("\"k\".\"distance\"", _sql.Last);
        AssertExact(db, Exact().Take(5).ToList(), projected.Select(h => (h.Id, h.Distance)).ToList());

        // A filter inside the search, and Skip: the candidates are 4 * (skip + take) of the matching rows.
        var filtered = db.Passages
            .Where(p => p.Id % 3 == 0)
            .OrderBy(p => EF.Functions.VectorDistance(p.Embedding, query))
            .Skip(2)
            .Take(4)
            .Select(p => new { p.Id, Distance = EF.Functions.VectorDistance(p.Embedding, query) })
            .ToList();
        Assert.Contains("rowid IN (", _sql.Last);
        AssertExact(db, Exact(id => id % 3 == 0).Skip(2).Take(4).ToList(), filtered.Select(h => (h.Id, h.Distance)).ToList());
    }

    [Fact]
    public void A_k_above_the_modules_ceiling_over_an_int8_index_is_answered_by_an_exact_scan()
    {
        using var db = Created(PassageIndex.Int8, "quantization=int8");
        var hits = Knn(db, Microsoft.EntityFrameworkCore.Metadata.DiskAnnIndexOptions.MaxK + 1);
        Assert.DoesNotContain("vector MATCH", _sql.Last);
        AssertExact(db, Exact(), hits);
    }

    [Fact]
    public void HasCacheSize_declares_cache_size_mb_and_the_index_still_answers()
    {
        using var db = Created(PassageIndex.Float32Cached, "USING diskann(dimension=32, metric=cosine, cache_size_mb=1)");

        var hits = Knn(db, 5);

        // float32: the index's distance column is exact, so the ordering reads it and asks for k rows only.
        Assert.Contains("AND k = @p\n", _sql.Last.Replace("\r\n", "\n"));
        Assert.Contains("ORDER BY \"k\".\"distance\"", _sql.Last);
        AssertExact(db, Exact().Take(5).ToList(), hits);
    }

    [Fact]
    public void Switching_none_to_int8_recreates_the_index_with_every_row_and_back()
    {
        using var none = Context(PassageIndex.Float32);
        using var int8 = Context(PassageIndex.Int8);
        EfMigrationTests.Migrate(none, null, none);
        Assert.DoesNotContain("quantization", EfMigrationTests.TableSql(none, Index));
        Seed(none);

        EfMigrationTests.Migrate(int8, none, int8);
        Assert.Contains("USING diskann(dimension=32, metric=cosine, quantization=int8)", EfMigrationTests.TableSql(int8, Index));
        Assert.Equal(Rows, int8.Database.SqlQuery<long>($"SELECT count(*) AS \"Value\" FROM \"IX_Passages_Embedding\"").AsEnumerable().Single());
        AssertExact(int8, Exact().Take(5).ToList(), Knn(int8, 5));

        // A row written after the migration reaches the new index through the triggers.
        int8.Passages.Add(new Passage { Embedding = _query });
        int8.SaveChanges();
        Assert.Equal(Rows + 1, Knn(int8, 1).Single().Id);

        EfMigrationTests.Migrate(none, int8, none);
        Assert.DoesNotContain("quantization", EfMigrationTests.TableSql(none, Index));
        Assert.Equal(Rows + 1, none.Database.SqlQuery<long>($"SELECT count(*) AS \"Value\" FROM \"IX_Passages_Embedding\"").AsEnumerable().Single());
        Assert.Equal(Rows + 1, Knn(none, 1).Single().Id);
    }

    private sealed record IndexHit(long Id, double Distance);

    [Fact]
    public void An_int8_index_applies_a_threshold_to_the_re_ranked_exact_distances()
    {
        using var db = Created(PassageIndex.Int8, "quantization=int8");
        var query = _query;
        var exact = Exact();
        var threshold = (exact[2].Distance + exact[3].Distance) / 2;
        var hits = db.Passages
            .Where(p => EF.Functions.VectorDistance(p.Embedding, query) < threshold)
            .OrderBy(p => EF.Functions.VectorDistance(p.Embedding, query))
            .Take(5)
            .Select(p => new { p.Id, Distance = EF.Functions.VectorDistance(p.Embedding, query) })
            .AsEnumerable()
            .Select(h => (h.Id, h.Distance))
            .ToList();

        // The index's distances are approximate: the threshold is applied with the exact function, after the re-rank.
        Assert.DoesNotContain("distance <", _sql.Last);
        Assert.DoesNotContain("rowid IN", _sql.Last);
        Assert.Contains("WHERE \"p\".\"Id\" = \"k\".\"key\" AND vector_distance_cosine(\"p\".\"Embedding\", @query1) < @threshold", _sql.Last);
        AssertExact(db, exact.Take(3).ToList(), hits);
    }
}

