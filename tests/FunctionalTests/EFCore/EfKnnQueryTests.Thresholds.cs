using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

/// <summary>
/// A distance threshold, <c>Where(d =&gt; VectorDistance(d.Embedding, q) &lt; t)</c> before or after
/// <c>OrderBy(VectorDistance).Take(k)</c>, becomes <c>AND distance &lt; @t</c> in the search instead of a distance
/// computed for every row in the filter subquery; the rows are those of the exact distances computed in C#.
/// </summary>
public sealed partial class EfKnnQueryTests
{
    /// <summary>A threshold halfway between the n-th and the (n+1)-th exact distance: n rows pass, with no float rounding at the edge.</summary>
    private double Between(DocsContext db, int n, Func<Doc, bool>? where = null)
    {
        var exact = Exact(db, where);
        return (exact[n - 1].Distance + exact[n].Distance) / 2;
    }

    [Fact]
    public void A_threshold_before_the_ordering_is_the_searchs_distance_condition()
    {
        using var db = CreateContext();
        var query = _query;
        var threshold = Between(db, 4);
        var hits = db.Docs
            .Where(d => EF.Functions.VectorDistance(d.Embedding, query) < threshold)
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(10)
            .Select(d => new { d.Id, Distance = EF.Functions.VectorDistance(d.Embedding, query) })
            .ToList();

        SqlCapture.AssertSql(
            """
            SELECT "k"."key" AS "Id", "k"."distance" AS "Distance"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Docs_Embedding"
                WHERE vector MATCH @query AND k = @p AND distance < @threshold
            ) AS "k"
            ORDER BY "k"."distance"
            LIMIT +@p
            """,
            _sql.Last);
        Assert.Equal(Exact(db).Where(e => e.Distance < threshold).Take(10).Select(e => e.Id), hits.Select(h => h.Id));
        Assert.Equal(4, hits.Count);

        // k caps the rows within the threshold.
        var capped = db.Docs
            .Where(d => EF.Functions.VectorDistance(d.Embedding, query) < threshold)
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(2)
            .Select(d => d.Id)
            .ToList();
        Assert.Equal(Exact(db).Take(2).Select(e => e.Id), capped);
    }

    [Fact]
    public void A_flipped_inclusive_threshold_combines_with_the_rest_of_the_Where_and_Skip()
    {
        using var db = CreateContext();
        var query = _query;
        bool Rest(Doc d) => d.Category == "b" && d.Id > 5;
        var threshold = Between(db, 6, Rest);
        var hits = db.Docs
            .Where(d => d.Category == "b" && threshold >= EF.Functions.VectorDistance(d.Embedding, query) && d.Id > 5)
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Skip(1)
            .Take(10)
            .ToList();

        SqlCapture.AssertSql(
            """
            SELECT "d"."Id", "d"."AuthorId", "d"."Category", "d"."Embedding", "d"."Extra", "d"."Title"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Docs_Embedding"
                WHERE vector MATCH @query AND k = @p + @p6 AND distance <= @threshold AND rowid IN (
                    SELECT "d0"."Id"
                    FROM "Docs" AS "d0"
                    WHERE "d0"."Category" = 'b' AND "d0"."Id" > 5
                )
            ) AS "k"
            CROSS JOIN "Docs" AS "d"
            WHERE "d"."Id" = "k"."key"
            ORDER BY "k"."distance"
            LIMIT +@p6 OFFSET @p
            """,
            _sql.Last);
        Assert.Equal(Exact(db, Rest).Where(e => e.Distance <= threshold).Skip(1).Take(10).Select(e => e.Id), hits.Select(h => h.Id));
        Assert.Equal(5, hits.Count);
    }

    [Fact]
    public void A_threshold_after_Take_is_applied_to_the_k_nearest()
    {
        using var db = CreateContext();
        var query = _query;
        var threshold = Between(db, 3);
        var hits = db.Docs
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(10)
            .Where(d => EF.Functions.VectorDistance(d.Embedding, query) < threshold)
            .Select(d => new { d.Id, d.Title })
            .ToList();

        SqlCapture.AssertSql(
            """
            SELECT "d0"."Id", "d0"."Title"
            FROM (
                SELECT "d"."Id", "d"."Embedding", "d"."Title", "k"."distance" AS "c"
                FROM (
                    SELECT rowid AS "key", distance
                    FROM "IX_Docs_Embedding"
                    WHERE vector MATCH @query AND k = @p AND distance < @threshold
                ) AS "k"
                CROSS JOIN "Docs" AS "d"
                WHERE "d"."Id" = "k"."key"
                ORDER BY "k"."distance"
                LIMIT +@p
            ) AS "d0"
            ORDER BY "d0"."c"
            """,
            _sql.Last);
        Assert.Equal(Exact(db).Take(3).Select(e => e.Id), hits.Select(h => h.Id));

        // A projected distance compared after Take is the search's distance too.
        var projected = db.Docs
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(10)
            .Select(d => new { d.Id, Distance = EF.Functions.VectorDistance(d.Embedding, query) })
            .Where(x => threshold > x.Distance)
            .ToList();
        Assert.Contains("AND k = @p AND distance < @threshold", _sql.Last);
        Assert.Equal(Exact(db).Take(3).Select(e => e.Id), projected.Select(h => h.Id));
    }

    [Fact]
    public void A_threshold_after_Skip_Take_stays_outside_the_search()
    {
        using var db = CreateContext();
        var query = _query;
        var threshold = Between(db, 5);
        var hits = db.Docs
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Skip(2)
            .Take(10)
            .Where(d => EF.Functions.VectorDistance(d.Embedding, query) < threshold)
            .Select(d => d.Id)
            .ToList();

        Assert.DoesNotContain("distance < @threshold", _sql.Last);
        Assert.Contains("WHERE vector_distance_l2(\"d0\".\"Embedding\", @query0) < @threshold", _sql.Last);
        Assert.Equal(Exact(db).Skip(2).Take(3).Select(e => e.Id), hits);
    }

    [Fact]
    public void A_threshold_with_another_metric_stays_in_the_filter()
    {
        using var db = CreateContext();
        var query = _query;
        var hits = db.Docs
            .Where(d => EF.Functions.VectorDistance(d.Embedding, query, DiskAnn.DiskAnnMetric.Cosine) < 0.8)
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(5)
            .Select(d => d.Id)
            .ToList();

        Assert.Contains("WHERE vector_distance_cosine(\"d0\".\"Embedding\", @query0) < 0.80000000000000004", _sql.Last);
        Assert.DoesNotContain("distance <", _sql.Last);
        var exact = Exact(db, d => DocsData.Cosine(d.Embedding, query) < 0.8).Take(5).Select(e => e.Id);
        Assert.Equal(exact, hits);
    }

    [Fact]
    public void A_threshold_with_a_k_above_the_modules_ceiling_is_part_of_the_exact_scan()
    {
        using var db = CreateContext();
        var query = _query;
        var threshold = Between(db, 7);
        var take = Microsoft.EntityFrameworkCore.Metadata.DiskAnnIndexOptions.MaxK + 1;
        var hits = db.Docs
            .Where(d => EF.Functions.VectorDistance(d.Embedding, query) <= threshold)
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(take)
            .Select(d => d.Id)
            .ToList();

        Assert.DoesNotContain("MATCH", _sql.Last);
        Assert.Contains("WHERE \"Embedding\" IS NOT NULL AND vector_distance_l2(\"Embedding\", @query) <= @threshold", _sql.Last);
        Assert.Equal(Exact(db).Take(7).Select(e => e.Id), hits);
    }
}
