using DiskAnn;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace FunctionalTests.EFCore;

public class Point
{
    public int Id { get; set; }
    public float[] Vector { get; set; } = [];
}

/// <summary>
/// Points indexed with a sparse graph and a small search list (L = 4), so that the index's own searches miss some of the
/// true nearest neighbours: the dataset on which a larger search list must show.
/// </summary>
public class PointsContext(DbContextOptions<PointsContext> options) : DbContext(options)
{
    public const int Dimension = 24;

    public DbSet<Point> Points => Set<Point>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.Entity<Point>().HasDiskAnnIndex(p => p.Vector, Dimension)
            .HasMetric(DiskAnnMetric.L2)
            .HasMaxDegree(6)
            .HasBuildSearchListSize(12)
            .HasSearchListSize(4);
}

/// <summary>
/// The search list size of a query (<c>EF.Functions.VectorDistance(..., searchListSize: n)</c>) and of a context
/// (<c>UseDiskAnn(o =&gt; o.SearchListSize(n))</c>): sent with the search, it changes recall against exact distances.
/// </summary>
public sealed class EfSearchListSizeTests : IDisposable
{
    private const int Count = 1500;
    private const int K = 10;

    private readonly EfTestDatabase _database = new();
    private readonly SqlCapture _sql = new();
    private readonly float[][] _queries;

    public EfSearchListSizeTests()
    {
        var random = new Random(17);
        using (var db = CreateContext())
        {
            db.Database.EnsureCreated();
            for (var i = 0; i < Count; i++)
            {
                db.Points.Add(new Point { Vector = Vector(random) });
            }

            db.SaveChanges();
        }

        _queries = [.. Enumerable.Range(0, 25).Select(_ => Vector(random))];
        _sql.Clear();
    }

    public void Dispose() => _database.Dispose();

    private static float[] Vector(Random random) => [.. Enumerable.Range(0, PointsContext.Dimension).Select(_ => (float)(random.NextDouble() * 2 - 1))];

    private PointsContext CreateContext(Action<DiskAnnDbContextOptionsBuilder>? diskAnn = null)
    {
        var builder = new DbContextOptionsBuilder<PointsContext>()
            .UseSqlite(_database.ConnectionString, o => o.UseDiskAnn(diskAnn))
            .AddInterceptors(_sql);
        return new PointsContext(builder.Options);
    }

    /// <summary>The fraction of the exact top k (computed here in C#) that <paramref name="search" /> returns, over all queries.</summary>
    private double Recall(PointsContext db, Func<float[], List<int>> search)
    {
        var points = db.Points.AsNoTracking().Select(p => new { p.Id, p.Vector }).ToList();
        var found = 0;
        foreach (var query in _queries)
        {
            var exact = points.OrderBy(p => DocsData.L2(p.Vector, query)).Take(K).Select(p => p.Id).ToHashSet();
            var hits = search(query);
            Assert.Equal(K, hits.Count);
            found += hits.Count(exact.Contains);
        }

        return (double)found / (K * _queries.Length);
    }

    [Fact]
    public void A_larger_search_list_in_the_query_raises_recall_over_the_index_default()
    {
        using var db = CreateContext();
        var byDefault = Recall(db, q => db.Points.OrderBy(p => EF.Functions.VectorDistance(p.Vector, q)).Take(K).Select(p => p.Id).ToList());
        Assert.DoesNotContain("search_list_size", _sql.Last);

        var size = 200;
        var tuned = Recall(db, q => db.Points.OrderBy(p => EF.Functions.VectorDistance(p.Vector, q, searchListSize: size)).Take(K).Select(p => p.Id).ToList());
        SqlCapture.AssertSql(
            """
            SELECT "k"."key" AS "Id"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Points_Vector"
                WHERE vector MATCH @q AND k = @p AND search_list_size = @size
            ) AS "k"
            ORDER BY "k"."distance"
            LIMIT +@p
            """,
            _sql.Last);

        Assert.True(byDefault < 0.85, $"the index's default (L = 4) should miss neighbours on this dataset, recall {byDefault}");
        Assert.True(tuned >= byDefault + 0.1, $"recall {tuned} at L = 200 should beat {byDefault} at L = 4");
        Assert.True(tuned >= 0.9, $"recall at L = 200 is {tuned}");
    }

    [Fact]
    public void The_contexts_search_list_size_applies_to_its_searches_and_the_query_overrides_it()
    {
        using var tuned = CreateContext(o => o.SearchListSize(200));
        using var plain = CreateContext();
        var q = _queries[0];
        var byContext = Recall(tuned, query => tuned.Points.OrderBy(p => EF.Functions.VectorDistance(p.Vector, query)).Take(K).Select(p => p.Id).ToList());
        Assert.Contains("WHERE vector MATCH @query AND k = @p AND search_list_size = 200", _sql.Last);
        var byDefault = Recall(plain, query => plain.Points.OrderBy(p => EF.Functions.VectorDistance(p.Vector, query)).Take(K).Select(p => p.Id).ToList());
        Assert.DoesNotContain("search_list_size", _sql.Last);
        Assert.True(byContext >= byDefault + 0.1, $"recall {byContext} at the context's L = 200 should beat {byDefault} at the index's L = 4");

        // The same searches as a query's own L = 200.
        foreach (var query in _queries)
        {
            Assert.Equal(
                plain.Points.OrderBy(p => EF.Functions.VectorDistance(p.Vector, query, searchListSize: 200)).Take(K).Select(p => p.Id).ToList(),
                tuned.Points.OrderBy(p => EF.Functions.VectorDistance(p.Vector, query)).Take(K).Select(p => p.Id).ToList());
        }

        // A query's own value wins; a constant is written as a literal.
        tuned.Points.OrderBy(p => EF.Functions.VectorDistance(p.Vector, q, DiskAnnMetric.L2, 4)).Take(K).Select(p => p.Vector).ToList();
        Assert.Contains("AND k = @p AND search_list_size = 4", _sql.Last);
    }

    [Fact]
    public void The_search_list_size_changes_no_distance_and_exact_queries_ignore_it()
    {
        using var db = CreateContext();
        var q = _queries[1];
        var hits = db.Points
            .OrderBy(p => EF.Functions.VectorDistance(p.Vector, q, searchListSize: 300))
            .Take(K)
            .Select(p => new { p.Id, Distance = EF.Functions.VectorDistance(p.Vector, q) })
            .ToList();
        Assert.Contains("search_list_size = 300", _sql.Last);
        Assert.Contains("\"k\".\"distance\" AS \"Distance\"", _sql.Last);
        foreach (var hit in hits)
        {
            var vector = db.Points.AsNoTracking().Single(p => p.Id == hit.Id).Vector;
            Assert.Equal(DocsData.L2(vector, q), hit.Distance, 4);
        }

        // No Take: an exact sort, where the function has its two vectors only.
        var all = db.Points.OrderBy(p => EF.Functions.VectorDistance(p.Vector, q, searchListSize: 300)).Select(p => p.Id).ToList();
        Assert.Contains("ORDER BY vector_distance_l2(\"p\".\"Vector\", @q) NULLS LAST", _sql.Last);
        Assert.Equal(Count, all.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10001)]
    public void A_search_list_size_out_of_range_is_refused_with_the_range(int size)
    {
        using var db = CreateContext();
        var q = _queries[0];
        var error = Assert.ThrowsAny<Exception>(
            () => db.Points.OrderBy(p => EF.Functions.VectorDistance(p.Vector, q, DiskAnnMetric.L2, size == 0 ? 0 : 10001)).Take(K).ToList());
        Assert.Contains("search_list_size must be an integer from 1 to 10000", error.ToString());

        var context = Assert.Throws<ArgumentOutOfRangeException>(() => CreateContext(o => o.SearchListSize(size)));
        Assert.Contains("search_list_size must be an integer from 1 to 10000 (default 64)", context.Message);
    }
}
