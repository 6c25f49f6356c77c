using DiskAnn;
using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

/// <summary>
/// The answers that do not come from the index: an ordering the index cannot answer ranks rows without a vector last,
/// and a k above the module's ceiling (<see cref="Microsoft.EntityFrameworkCore.Metadata.DiskAnnIndexOptions.MaxK" />)
/// is answered by an exact scan, with the rows the index would return, instead of an error inside SQLite.
/// </summary>
public sealed class EfExactPathTests : IDisposable
{
    private const int MaxK = Microsoft.EntityFrameworkCore.Metadata.DiskAnnIndexOptions.MaxK;

    private readonly EfTestDatabase _database = new();
    private readonly SqlCapture _sql = new();
    private readonly float[] _query = [0.1f, -0.2f, 0.3f, 0.4f];

    public EfExactPathTests()
    {
        using var db = CreateContext();
        DocsData.Seed(db);
        DocsData.SeedNotes(db);
        _sql.Clear();
    }

    public void Dispose() => _database.Dispose();

    private DocsContext CreateContext() => new(DocsContext.Options(_database.ConnectionString, _sql));

    private static double Dot(float[] a, float[] b) => -a.Zip(b, (x, y) => (double)x * y).Sum();

    /// <summary>The notes by exact distance (rows without a vector after all others, by key), as the test computes it.</summary>
    private static List<int> Expected(DocsContext db, Func<float[], double> distance)
        => db.Notes.AsNoTracking().AsEnumerable()
            .OrderBy(n => n.Vector is null)
            .ThenBy(n => n.Vector is null ? 0 : distance(n.Vector))
            .ThenBy(n => n.Id)
            .Select(n => n.Id)
            .ToList();

    [Fact]
    public void An_ordering_the_index_cannot_answer_ranks_rows_without_a_vector_last()
    {
        using var db = CreateContext();
        var query = _query;
        var expected = Expected(db, v => DocsData.L2(v, query));

        // Another metric than the index's (dot): the exact function, over every row.
        var top = db.Notes.OrderBy(n => EF.Functions.VectorDistance(n.Vector, query, DiskAnnMetric.L2)).Take(5).Select(n => n.Id).ToList();
        Assert.DoesNotContain("MATCH", _sql.Last);
        Assert.Contains("NULLS LAST", _sql.Last);
        Assert.Equal(expected.Take(5), top);

        // All rows: the 10 without a vector come last; then by Id, a second ordering.
        var all = db.Notes
            .OrderBy(n => EF.Functions.VectorDistance(n.Vector, query, DiskAnnMetric.L2))
            .ThenBy(n => n.Id)
            .Select(n => n.Id)
            .ToList();
        Assert.Equal(expected, all);

        // Descending: SQLite already puts NULL last.
        var descending = db.Notes.OrderByDescending(n => EF.Functions.VectorDistance(n.Vector, query, DiskAnnMetric.L2)).ThenBy(n => n.Id).Take(3).Select(n => n.Id).ToList();
        Assert.Equal(expected.Take(20).Reverse().Take(3), descending);
    }

    [Fact]
    public void A_shape_the_rewrite_leaves_alone_ranks_rows_without_a_vector_last()
    {
        using var db = CreateContext();
        var query = _query;

        // Distinct keeps the exact function (no rewrite); the index's metric.
        var hits = db.Notes
            .Select(n => new { n.Id, Distance = EF.Functions.VectorDistance(n.Vector, query) })
            .Distinct()
            .OrderBy(x => x.Distance)
            .Take(25)
            .Select(x => x.Id)
            .ToList();
        Assert.DoesNotContain("MATCH", _sql.Last);
        Assert.Equal(Expected(db, v => Dot(v, query)).Take(25), hits);
    }

    [Theory]
    [InlineData(0, MaxK + 1)]
    [InlineData(0, 15000)]
    [InlineData(2, MaxK - 1)]
    [InlineData(MaxK - 1, 5)]
    public void A_k_above_the_modules_ceiling_is_answered_by_an_exact_scan(int skip, int take)
    {
        using var db = CreateContext();
        var query = _query;

        var docs = db.Docs
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Skip(skip)
            .Take(take)
            .Select(d => new { d.Id, Distance = EF.Functions.VectorDistance(d.Embedding, query) })
            .ToList();
        Assert.DoesNotContain("MATCH", _sql.Last);
        Assert.Contains("ORDER BY distance NULLS LAST", _sql.Last);
        var exact = db.Docs.AsNoTracking().AsEnumerable()
            .Select(d => (d.Id, Distance: DocsData.L2(d.Embedding, query)))
            .OrderBy(e => e.Distance)
            .Skip(skip)
            .Take(take)
            .ToList();
        Assert.Equal(exact.Select(e => e.Id), docs.Select(d => d.Id));
        Assert.Equal(exact.Select(e => e.Distance), docs.Select(d => d.Distance), (a, b) => Math.Abs(a - b) < 1e-5);

        // Rows without a vector are left out, as the index leaves them out; a filter still applies.
        var notes = db.Notes
            .Where(n => n.Id > 3)
            .OrderBy(n => EF.Functions.VectorDistance(n.Vector, query))
            .Skip(skip)
            .Take(take)
            .Select(n => n.Id)
            .ToList();
        Assert.DoesNotContain("MATCH", _sql.Last);
        var expected = Expected(db, v => Dot(v, query)).Where(id => id > 3 && id % 3 != 0).Skip(skip).Take(take);
        Assert.Equal(expected, notes);
    }

    [Fact]
    public void The_same_query_switches_between_the_index_and_the_exact_scan_with_the_value_of_k()
    {
        using var db = CreateContext();
        var query = _query;
        var exact = db.Docs.AsNoTracking().AsEnumerable().OrderBy(d => DocsData.L2(d.Embedding, query)).Select(d => d.Id).ToList();
        foreach (var take in new[] { 5, 20000, 7, MaxK, MaxK + 1, 3 })
        {
            var ids = db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(take).Select(d => d.Id).ToList();
            Assert.Equal(take <= MaxK, _sql.Last.Contains("MATCH", StringComparison.Ordinal));
            Assert.Equal(exact.Take(take), ids);
        }
    }
}
