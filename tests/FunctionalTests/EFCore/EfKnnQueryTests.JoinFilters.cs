using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

/// <summary>
/// A <c>Where</c> before the vector ordering that reads another table (a navigation, an explicit join, a correlated
/// subquery) is pushed into the search as <c>rowid IN (...)</c>: the index answers and k rows come back when k match.
/// </summary>
public sealed partial class EfKnnQueryTests
{
    private List<int> ExactIds(DocsContext db, Func<Doc, bool> where) => Exact(db, where).Select(e => e.Id).ToList();

    [Fact]
    public void A_filter_on_a_reference_navigation_is_pushed_into_the_search()
    {
        using var db = CreateContext();
        var query = _query;
        var hits = db.Docs
            .Where(d => d.Author!.Name == "author 2")
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(10)
            .Select(d => d.Id)
            .ToList();

        SqlCapture.AssertSql(
            """
            SELECT "d"."Id"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Docs_Embedding"
                WHERE vector MATCH @query AND k = @p AND rowid IN (
                    SELECT "d0"."Id"
                    FROM "Docs" AS "d0"
                    LEFT JOIN "Authors" AS "a0" ON "d0"."AuthorId" = "a0"."Id"
                    WHERE "a0"."Name" = 'author 2'
                )
            ) AS "k"
            CROSS JOIN "Docs" AS "d"
            LEFT JOIN "Authors" AS "a" ON "d"."AuthorId" = "a"."Id"
            WHERE "d"."Id" = "k"."key" AND "a"."Name" = 'author 2'
            ORDER BY "k"."distance"
            LIMIT +@p
            """,
            _sql.Last);
        Assert.Equal(10, hits.Count);
        Assert.Equal(ExactIds(db, d => d.Author!.Name == "author 2").Take(10), hits);
    }

    [Fact]
    public void A_correlated_Any_on_a_collection_is_pushed_into_the_search()
    {
        using var db = CreateContext();
        var query = _query;
        var hits = db.Docs
            .Where(d => d.Tags.Any(t => t.Name.StartsWith("t1")))
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(5)
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
                    WHERE EXISTS (
                        SELECT 1
                        FROM "Tags" AS "t0"
                        WHERE "d0"."Id" = "t0"."DocId" AND "t0"."Name" LIKE 't1%')
                )
            ) AS "k"
            CROSS JOIN "Docs" AS "d"
            WHERE "d"."Id" = "k"."key"
            ORDER BY "k"."distance"
            LIMIT +@p
            """,
            _sql.Last);
        Assert.Equal(ExactIds(db, d => d.Tags.Any(t => t.Name.StartsWith("t1", StringComparison.Ordinal))).Take(5), hits.Select(h => h.Id));
    }

    [Fact]
    public void A_selective_joined_filter_still_returns_k_rows()
    {
        // Only 11 of the 60 docs match (ids 1 and 10 to 19): the search itself must be restricted to them.
        using var db = CreateContext();
        var query = _query;
        var hits = db.Docs
            .Where(d => d.Author!.Name != "nobody" && d.Tags.Any(t => t.Name.StartsWith("t1")) && d.Category != "x")
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(8)
            .Select(d => new { d.Id, Author = d.Author!.Name, Distance = EF.Functions.VectorDistance(d.Embedding, query) })
            .ToList();

        Assert.Contains("MATCH", _sql.Last);
        Assert.DoesNotContain("ORDER BY vector_distance_l2", _sql.Last);
        var exact = ExactIds(db, d => d.Tags.Any(t => t.Name.StartsWith("t1", StringComparison.Ordinal)));
        Assert.Equal(11, exact.Count);
        Assert.Equal(8, hits.Count);
        Assert.Equal(exact.Take(8), hits.Select(h => h.Id));
        Assert.All(hits, h => Assert.StartsWith("author ", h.Author));
    }

    [Fact]
    public void An_explicit_join_filtered_on_the_joined_table_is_pushed_into_the_search()
    {
        using var db = CreateContext();
        var query = _query;
        var hits = db.Docs
            .Join(db.Authors, d => d.AuthorId, a => a.Id, (d, a) => new { Doc = d, Author = a })
            .Where(x => x.Author.Name == "author 1")
            .OrderBy(x => EF.Functions.VectorDistance(x.Doc.Embedding, query))
            .Take(6)
            .Select(x => new { x.Doc.Id, x.Author.Name })
            .ToList();

        SqlCapture.AssertSql(
            """
            SELECT "d"."Id", "a"."Name"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Docs_Embedding"
                WHERE vector MATCH @query AND k = @p AND rowid IN (
                    SELECT "d0"."Id"
                    FROM "Docs" AS "d0"
                    INNER JOIN "Authors" AS "a0" ON "d0"."AuthorId" = "a0"."Id"
                    WHERE "a0"."Name" = 'author 1'
                )
            ) AS "k"
            CROSS JOIN "Docs" AS "d"
            INNER JOIN "Authors" AS "a" ON "d"."AuthorId" = "a"."Id"
            WHERE "d"."Id" = "k"."key" AND "a"."Name" = 'author 1'
            ORDER BY "k"."distance"
            LIMIT +@p
            """,
            _sql.Last);
        Assert.Equal(ExactIds(db, d => d.Author!.Name == "author 1").Take(6), hits.Select(h => h.Id));
        Assert.All(hits, h => Assert.Equal("author 1", h.Name));
    }

    [Fact]
    public void An_inner_join_that_drops_rows_is_part_of_the_search_filter()
    {
        // Five docs without an author are the nearest of all: the join drops them, so the search must skip them too.
        using (var db = CreateContext())
        {
            for (var i = 0; i < 5; i++)
            {
                db.Docs.Add(new Doc { Title = "orphan " + i, Embedding = [.. _query], Category = "a" });
            }

            db.SaveChanges();
        }

        using var context = CreateContext();
        _sql.Clear();
        var query = _query;
        var hits = (from d in context.Docs
                    join a in context.Authors on d.AuthorId equals a.Id
                    orderby EF.Functions.VectorDistance(d.Embedding, query)
                    select new { d.Id, a.Name })
            .Take(5)
            .ToList();

        Assert.Contains("MATCH", _sql.Last);
        Assert.Contains("INNER JOIN \"Authors\"", _sql.Last);
        Assert.Equal(5, hits.Count);
        Assert.Equal(ExactIds(context, d => d.AuthorId is not null).Take(5), hits.Select(h => h.Id));
    }

    [Fact]
    public void Rows_multiplied_by_a_collection_join_come_back_in_distance_order()
    {
        using var db = CreateContext();
        var query = _query;
        var hits = db.Docs
            .SelectMany(d => d.Tags, (d, t) => new { d.Id, d.Embedding, Tag = t.Name })
            .Where(x => x.Tag.StartsWith("t2"))
            .OrderBy(x => EF.Functions.VectorDistance(x.Embedding, query))
            .Take(5)
            .Select(x => new { x.Id, x.Tag })
            .ToList();

        Assert.Contains("MATCH", _sql.Last);
        Assert.EndsWith("LIMIT +@p", _sql.Last.TrimEnd()); // a doc gives several rows: the search's k does not bound them
        // Docs 2 and 20 to 29 match with both their tags: each doc comes twice, nearest doc first.
        var nearest = ExactIds(db, d => d.Tags.Any(t => t.Name.StartsWith("t2", StringComparison.Ordinal)));
        Assert.Equal(nearest.SelectMany(id => new[] { id, id }).Take(5), hits.Select(h => h.Id));
        Assert.All(hits, h => Assert.StartsWith("t2", h.Tag));
    }

    [Fact]
    public void A_search_correlated_to_an_enclosing_query_runs_for_each_of_its_rows()
    {
        // The filter reads the enclosing query's row: SQLite runs the search again for each author.
        using var db = CreateContext();
        var query = _query;
        var nearestPerAuthor = db.Authors
            .OrderBy(a => a.Id)
            .Select(a => db.Docs
                .Where(d => d.AuthorId == a.Id)
                .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
                .Select(d => d.Id)
                .First())
            .ToList();

        Assert.Contains("MATCH", _sql.Last);
        var expected = db.Authors.OrderBy(a => a.Id).Select(a => a.Id).AsEnumerable()
            .Select(author => ExactIds(db, d => d.AuthorId == author)[0]);
        Assert.Equal(expected, nearestPerAuthor);
    }
}
