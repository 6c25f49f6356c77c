using DiskAnn;
using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

/// <summary>LINQ vector search over a file database: the KNN rewrite, its SQL, and every shape around it.</summary>
public sealed partial class EfKnnQueryTests : IDisposable
{
    private readonly EfTestDatabase _database = new();
    private readonly SqlCapture _sql = new();
    private readonly float[] _query = [0.1f, -0.2f, 0.3f, 0.4f];

    public EfKnnQueryTests()
    {
        using var db = CreateContext();
        DocsData.Seed(db);
        _sql.Clear();
    }

    public void Dispose() => _database.Dispose();

    private DocsContext CreateContext() => new(DocsContext.Options(_database.ConnectionString, _sql));

    private List<(int Id, double Distance)> Exact(DocsContext db, Func<Doc, bool>? where = null)
        => db.Docs.AsNoTracking().Include(d => d.Author).Include(d => d.Tags).AsEnumerable()
            .Where(where ?? (_ => true))
            .Select(d => (d.Id, DocsData.L2(d.Embedding, _query)))
            .OrderBy(x => x.Item2)
            .ToList();

    [Fact]
    public void OrderBy_distance_Take_is_answered_by_the_index()
    {
        using var db = CreateContext();
        var query = _query;
        var hits = db.Docs
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(5)
            .Select(d => new { d.Id, d.Title, Distance = EF.Functions.VectorDistance(d.Embedding, query) })
            .ToList();

        SqlCapture.AssertSql(
            """
            SELECT "d"."Id", "d"."Title", "k"."distance" AS "Distance"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Docs_Embedding"
                WHERE vector MATCH @query AND k = @p
            ) AS "k"
            CROSS JOIN "Docs" AS "d"
            WHERE "d"."Id" = "k"."key"
            ORDER BY "k"."distance"
            LIMIT +@p
            """,
            _sql.Last);

        var exact = Exact(db).Take(5).ToList();
        Assert.Equal(exact.Select(e => e.Id), hits.Select(h => h.Id));
        for (var i = 0; i < hits.Count; i++)
        {
            Assert.Equal(exact[i].Distance, hits[i].Distance, 4);
        }
    }

    [Fact]
    public void A_distance_projected_before_the_ordering_is_exact_for_the_k_hits()
    {
        using var db = CreateContext();
        var query = _query;
        var hits = db.Docs
            .Select(d => new { d.Id, Distance = EF.Functions.VectorDistance(d.Embedding, query) })
            .OrderBy(x => x.Distance)
            .Take(3)
            .ToList();

        SqlCapture.AssertSql(
            """
            SELECT "k"."key" AS "Id", "k"."distance" AS "Distance"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Docs_Embedding"
                WHERE vector MATCH @query AND k = @p
            ) AS "k"
            ORDER BY "k"."distance"
            LIMIT +@p
            """,
            _sql.Last);
        var exact = Exact(db).Take(3).ToList();
        Assert.Equal(exact.Select(e => e.Id), hits.Select(h => h.Id));
        Assert.Equal(exact[0].Distance, hits[0].Distance, 4);
    }

    [Fact]
    public void Where_before_the_ordering_becomes_a_rowid_filter_and_still_returns_k_rows()
    {
        using var db = CreateContext();
        var query = _query;
        var hits = db.Docs
            .Where(d => d.Category == "b" && d.Id > 5)
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(10)
            .ToList();

        SqlCapture.AssertSql(
            """
            SELECT "d"."Id", "d"."AuthorId", "d"."Category", "d"."Embedding", "d"."Extra", "d"."Title"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Docs_Embedding"
                WHERE vector MATCH @query AND k = @p AND rowid IN (
                    SELECT "d0"."Id"
                    FROM "Docs" AS "d0"
                    WHERE "d0"."Category" = 'b' AND "d0"."Id" > 5
                )
            ) AS "k"
            CROSS JOIN "Docs" AS "d"
            WHERE "d"."Id" = "k"."key"
            ORDER BY "k"."distance"
            LIMIT +@p
            """,
            _sql.Last);
        var exact = Exact(db, d => d.Category == "b" && d.Id > 5).Take(10).ToList();
        Assert.Equal(10, hits.Count);
        Assert.All(hits, h => Assert.Equal("b", h.Category));
        Assert.Equal(exact.Select(e => e.Id), hits.Select(h => h.Id));
    }

    [Fact]
    public void Skip_Take_asks_the_index_for_skip_plus_take()
    {
        using var db = CreateContext();
        var query = _query;
        var hits = db.Docs
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Skip(3)
            .Take(4)
            .Select(d => d.Id)
            .ToList();

        SqlCapture.AssertSql(
            """
            SELECT "k"."key" AS "Id"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Docs_Embedding"
                WHERE vector MATCH @query AND k = @p + @p3
            ) AS "k"
            ORDER BY "k"."distance"
            LIMIT +@p3 OFFSET @p
            """,
            _sql.Last);
        Assert.Equal(Exact(db).Skip(3).Take(4).Select(e => e.Id), hits);
    }

    [Fact]
    public void Only_keys_read_the_search_alone_without_the_table()
    {
        using var db = CreateContext();
        var query = _query;
        var hits = db.Docs
            .Where(d => d.Category == "b")
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(5)
            .Select(d => d.Id)
            .ToList();

        // The filter stays inside the search; no lookup of "Docs" rows.
        var sql = _sql.Last;
        Assert.StartsWith("SELECT \"k\".\"key\" AS \"Id\"", sql);
        Assert.Contains("rowid IN (", sql);
        Assert.DoesNotContain("JOIN", sql);
        Assert.EndsWith("LIMIT +@p", sql.TrimEnd());
        Assert.Equal(Exact(db, d => d.Category == "b").Take(5).Select(e => e.Id), hits);
    }

    [Fact]
    public void ThenBy_Include_and_reference_navigation_work()
    {
        using var db = CreateContext();
        var query = _query;
        var hits = db.Docs
            .Include(d => d.Tags)
            .Include(d => d.Author)
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .ThenBy(d => d.Title)
            .Take(5)
            .ToList();

        Assert.Contains("FROM \"IX_Docs_Embedding\"", _sql.Last);
        Assert.DoesNotContain("vector_distance_l2", _sql.Last);
        Assert.Equal(Exact(db).Take(5).Select(e => e.Id), hits.Select(h => h.Id));
        Assert.All(hits, h => Assert.Equal(2, h.Tags.Count));
        Assert.All(hits, h => Assert.NotNull(h.Author));
    }

    [Fact]
    public void Split_query_Include_uses_the_same_neighbours()
    {
        using var db = CreateContext();
        var query = _query;
        var hits = db.Docs
            .Include(d => d.Tags)
            .AsSplitQuery()
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(5)
            .ToList();

        Assert.All(_sql.Commands, c => Assert.DoesNotContain("vector_distance_l2", c));
        Assert.Equal(Exact(db).Take(5).Select(e => e.Id), hits.Select(h => h.Id));
        Assert.All(hits, h => Assert.Equal(2, h.Tags.Count));
    }

    [Fact]
    public async Task Async_and_compiled_queries_work()
    {
        var compiled = EF.CompileAsyncQuery(
            (DocsContext db, float[] q, int k) => db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, q)).Take(k));
        await using var db = CreateContext();
        var expected = Exact(db).Take(4).Select(e => e.Id).ToList();

        var list = await db.Docs
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, _query))
            .Take(4)
            .Select(d => d.Id)
            .ToListAsync();
        Assert.Equal(expected, list);

        var fromCompiled = new List<int>();
        await foreach (var doc in compiled(db, _query, 4))
        {
            fromCompiled.Add(doc.Id);
        }

        Assert.Equal(expected, fromCompiled);
        Assert.Contains("MATCH", _sql.Last);
    }

    [Fact]
    public void A_constant_query_vector_works()
    {
        using var db = CreateContext();
        var hits = db.Docs
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, new[] { 0.1f, -0.2f, 0.3f, 0.4f }))
            .Take(3)
            .Select(d => d.Id)
            .ToList();

        Assert.Contains("MATCH", _sql.Last);
        Assert.Equal(Exact(db).Take(3).Select(e => e.Id), hits);
    }

    [Fact]
    public void Distance_elsewhere_is_the_exact_function()
    {
        using var db = CreateContext();
        var query = _query;
        var near = db.Docs
            .Where(d => EF.Functions.VectorDistance(d.Embedding, query) < 0.5)
            .Select(d => d.Id)
            .ToList();

        SqlCapture.AssertSql(
            """
            SELECT "d"."Id"
            FROM "Docs" AS "d"
            WHERE vector_distance_l2("d"."Embedding", @query) < 0.5
            """,
            _sql.Last);
        Assert.Equal(Exact(db).Where(e => e.Distance < 0.5).Select(e => e.Id).Order(), near.Order());
    }

    [Fact]
    public void A_different_metric_or_an_unindexed_column_is_computed_exactly()
    {
        using var db = CreateContext();
        var query = _query;
        var byCosine = db.Docs
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query, DiskAnnMetric.Cosine))
            .Take(3)
            .Select(d => d.Id)
            .ToList();
        Assert.Contains("ORDER BY vector_distance_cosine(\"d\".\"Embedding\", @query)", _sql.Last);
        Assert.DoesNotContain("MATCH", _sql.Last);
        var expectedCosine = db.Docs.AsNoTracking().AsEnumerable()
            .OrderBy(d => DocsData.Cosine(d.Embedding, query)).Take(3).Select(d => d.Id);
        Assert.Equal(expectedCosine, byCosine);

        var byExtra = db.Docs
            .Where(d => d.Extra != null)
            .OrderBy(d => EF.Functions.VectorDistance(d.Extra, query))
            .Take(3)
            .Select(d => d.Id)
            .ToList();
        Assert.Contains("ORDER BY vector_distance_cosine(\"d\".\"Extra\", @query)", _sql.Last);
        var expectedExtra = db.Docs.AsNoTracking().AsEnumerable()
            .OrderBy(d => DocsData.Cosine(d.Extra!, query)).Take(3).Select(d => d.Id);
        Assert.Equal(expectedExtra, byExtra);
    }

    [Fact]
    public void Descending_order_is_computed_exactly()
    {
        using var db = CreateContext();
        var query = _query;
        var farthest = db.Docs
            .OrderByDescending(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(2)
            .Select(d => d.Id)
            .ToList();
        Assert.DoesNotContain("MATCH", _sql.Last);
        Assert.Equal(Exact(db).AsEnumerable().Reverse().Take(2).Select(e => e.Id), farthest);
    }

    [Fact]
    public void A_wrong_length_query_vector_is_a_clear_error()
    {
        using var db = CreateContext();
        var query = new[] { 1f, 2f };
        var parameter = Assert.Throws<InvalidOperationException>(
            () => db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(3).ToList());
        Assert.Contains("2 values", parameter.Message);
        Assert.Contains("dimension 4", parameter.Message);

        var constant = Assert.Throws<InvalidOperationException>(
            () => db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, new[] { 1f, 2f })).Take(3).ToList());
        Assert.Contains("dimension 4", constant.Message);
    }

    [Fact]
    public void VectorDistance_outside_a_query_throws_and_is_never_client_evaluated()
    {
        Assert.Throws<InvalidOperationException>(() => EF.Functions.VectorDistance(_query, _query));

        using var db = CreateContext();
        var a = _query;
        var b = new[] { 0.1f, -0.2f, 0.3f, 0.5f };
        var value = db.Docs.Select(d => EF.Functions.VectorDistance(a, b, DiskAnnMetric.L2)).First();
        Assert.Contains("vector_distance_l2(@a, @b)", _sql.Last);
        Assert.Equal(0.1, value, 4);
    }

    [Fact]
    public void ReadOnlyMemory_vectors_are_stored_and_searched()
    {
        using var db = CreateContext();
        var random = new Random(7);
        for (var i = 0; i < 20; i++)
        {
            db.Snippets.Add(new Snippet { Vector = DocsData.Vector(random) });
        }

        db.SaveChanges();
        _sql.Clear();

        var query = _query;
        var hits = db.Snippets
            .OrderBy(s => EF.Functions.VectorDistance(s.Vector, query))
            .Take(3)
            .ToList();
        Assert.Contains("FROM \"IX_Snippets_Vector\"", _sql.Last);
        var expected = db.Snippets.AsNoTracking().AsEnumerable()
            .OrderBy(s => DocsData.Cosine(s.Vector.Span, query)).Take(3).Select(s => s.Id);
        Assert.Equal(expected, hits.Select(h => h.Id));
    }
}
