using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

/// <summary>
/// A <c>Where</c> on included properties before <c>OrderBy(VectorDistance).Take(k)</c>: its conjuncts on them become
/// conditions on the index's columns, the rest stays in the <c>rowid IN</c> subquery, and the hits are the exact k
/// nearest of the rows the predicate keeps in C#.
/// </summary>
public sealed partial class EfFilterColumnTests
{
    private static readonly float[] Query = [0.1f, -0.2f, 0.3f, 0.4f];

    private static double L2(float[] a, float[] b) => DocsData.L2(a, b);

    /// <summary>The ids of the rows with a vector that <paramref name="where" /> keeps, nearest first (computed in C#).</summary>
    private List<int> Exact(ListingsContext db, Func<Listing, bool> where)
        => db.Listings.AsNoTracking().AsEnumerable()
            .Where(l => l.Embedding is not null)
            .Where(where)
            .OrderBy(l => L2(l.Embedding!, Query))
            .Select(l => l.Id)
            .ToList();

    private List<int> Knn(ListingsContext db, Expression<Func<Listing, bool>> where, int k)
    {
        var query = Query;
        return db.Listings
            .Where(where)
            .OrderBy(l => EF.Functions.VectorDistance(l.Embedding, query))
            .Take(k)
            .Select(l => l.Id)
            .ToList();
    }

    /// <summary>Runs the filtered KNN and checks it against the exact answer: the same ids, k of them whenever k match.</summary>
    private void AssertKnn(Expression<Func<Listing, bool>> where, int k = 10)
    {
        using var db = CreateContext();
        var hits = Knn(db, where, k);
        var exact = Exact(db, where.Compile());
        Assert.Equal(Math.Min(k, exact.Count), hits.Count);
        Assert.Equal(exact.Take(k), hits);
    }

    [Fact]
    public void Conditions_on_included_properties_are_evaluated_inside_the_search()
    {
        using var db = CreateContext();
        var query = Query;
        var hits = db.Listings
            .Where(l => l.Lang == "en" && l.Price < 50 && l.TenantId == 2)
            .OrderBy(l => EF.Functions.VectorDistance(l.Embedding, query))
            .Take(5)
            .Select(l => new { l.Id, l.Title, Distance = EF.Functions.VectorDistance(l.Embedding, query) })
            .ToList();

        SqlCapture.AssertSql(
            """
            SELECT "l"."Id", "l"."Title", "k"."distance" AS "Distance"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Listings_Embedding" AS "i"
                WHERE vector MATCH @query AND k = @p AND "i"."Lang" = 'en' AND "i"."Price" < 50.0 AND "i"."TenantId" = 2
            ) AS "k"
            CROSS JOIN "Listings" AS "l"
            WHERE "l"."Id" = "k"."key"
            ORDER BY "k"."distance"
            LIMIT +@p
            """,
            _sql.Last);
        var exact = Exact(db, l => l.Lang == "en" && l.Price < 50 && l.TenantId == 2);
        Assert.Equal(exact.Take(5), hits.Select(h => h.Id));
    }

    [Fact]
    public void Contains_null_checks_booleans_and_parameters_become_conditions()
    {
        using var db = CreateContext();
        var langs = new List<string?> { "en", "de" };
        var since = new DateTime(2025, 3, 1);
        Expression<Func<Listing, bool>> where = l => langs.Contains(l.Lang) && l.Published >= since && l.InStock && l.Lang != null;
        var hits = Knn(db, where, 10);

        SqlCapture.AssertSql(
            """
            SELECT "k"."key" AS "Id"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Listings_Embedding" AS "i"
                WHERE vector MATCH @query AND k = @p AND "i"."Lang" IN (@langs1, @langs2) AND "i"."Published" >= @since AND "i"."InStock" = 1 AND "i"."Lang" IS NOT NULL
            ) AS "k"
            ORDER BY "k"."distance"
            LIMIT +@p
            """,
            _sql.Last);
        Assert.Equal(Exact(db, where.Compile()).Take(10), hits);
    }

    [Fact]
    public void A_mixed_predicate_keeps_the_rest_in_the_rowid_subquery()
    {
        // C#'s != keeps the listings without a language: "Lang" IS NOT 'en', not "Lang" <> 'en'.
        using var db = CreateContext();
        Expression<Func<Listing, bool>> where = l => l.Lang != "en" && l.Title.EndsWith("3") && l.Fee <= 5.5m;
        var hits = Knn(db, where, 8);

        SqlCapture.AssertSql(
            """
            SELECT "k"."key" AS "Id"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Listings_Embedding" AS "i"
                WHERE vector MATCH @query AND k = @p AND "i"."Lang" IS NOT 'en' AND "i"."Fee" <= '5.5' AND rowid IN (
                    SELECT "l0"."Id"
                    FROM "Listings" AS "l0"
                    WHERE "l0"."Title" LIKE '%3'
                )
            ) AS "k"
            ORDER BY "k"."distance"
            LIMIT +@p
            """,
            _sql.Last);
        Assert.Equal(Exact(db, where.Compile()).Take(8), hits);
        Assert.Contains(hits, id => db.Listings.Single(l => l.Id == id).Lang is null);
    }

    [Fact]
    public void A_list_with_a_null_and_an_OR_stay_in_the_subquery()
    {
        // SQL's IN never matches NULL: C#'s Contains on a list holding null is "IN (...) OR IS NULL", which the module cannot take.
        using var db = CreateContext();
        var langs = new List<string?> { "fr", null };
        Expression<Func<Listing, bool>> where = l => langs.Contains(l.Lang) && (l.Price < 10 || l.Price > 90);
        var hits = Knn(db, where, 6);

        SqlCapture.AssertSql(
            """
            SELECT "k"."key" AS "Id"
            FROM (
                SELECT rowid AS "key", distance
                FROM "IX_Listings_Embedding"
                WHERE vector MATCH @query AND k = @p AND rowid IN (
                    SELECT "l0"."Id"
                    FROM "Listings" AS "l0"
                    WHERE ("l0"."Lang" IS NULL OR "l0"."Lang" = @langs1) AND ("l0"."Price" < 10.0 OR "l0"."Price" > 90.0)
                )
            ) AS "k"
            ORDER BY "k"."distance"
            LIMIT +@p
            """,
            _sql.Last);
        Assert.Equal(Exact(db, where.Compile()).Take(6), hits);
    }

    public static TheoryData<int> Predicates => new(Enumerable.Range(0, PredicateList.Length));

    private static readonly string? NoLang = null;

    private static readonly Expression<Func<Listing, bool>>[] PredicateList =
    [
        l => l.Lang == "de",
        l => l.Lang != "de",
        l => l.Lang == NoLang,
        l => l.Lang != NoLang,
        l => l.Lang == null,
        l => l.Price < 12.5,
        l => l.Price <= 12.5 && l.Price >= 3,
        l => l.Price > 97,
        l => 50 < l.Price,
        l => l.Fee > 8m,
        l => l.Fee == 2.5m,
        l => l.TenantId == 3 && l.Lang == "fr",
        l => l.TenantId != 1,
        l => new[] { 1, 3 }.Contains(l.TenantId) && !l.InStock,
        l => new[] { "en", "fr" }.Contains(l.Lang),
        l => l.Published > new DateTime(2025, 10, 1) && l.Published < new DateTime(2025, 10, 20),
        l => l.TenantId == 2 && l.Lang == "de" && l.Price < 15, // a handful of rows: all of them come back
        l => l.TenantId == 5,                                     // none
    ];

    [Theory]
    [MemberData(nameof(Predicates))]
    public void Filtered_results_are_the_exact_nearest_of_the_matching_rows(int predicate)
    {
        AssertKnn(PredicateList[predicate], k: 12);
        Assert.DoesNotContain("rowid IN", _sql.Last);
    }

    [Fact]
    public void A_k_above_the_module_ceiling_is_answered_exactly_with_the_whole_filter()
    {
        // The exact form of the search filters the entity table: it takes the WHERE whole, conditions included.
        using var db = CreateContext();
        var k = Microsoft.EntityFrameworkCore.Metadata.DiskAnnIndexOptions.MaxK + 1;
        var hits = Knn(db, l => l.Lang != "de" && l.TenantId == 3 && l.Title.Contains('1'), k);
        Assert.DoesNotContain("MATCH", _sql.Last);
        Assert.Contains("\"l0\".\"TenantId\" = 3", _sql.Last);
        Assert.Equal(Exact(db, l => l.Lang != "de" && l.TenantId == 3 && l.Title.Contains('1')), hits);
    }

    [Fact]
    public void A_filter_that_matches_fewer_than_k_rows_returns_all_of_them()
    {
        using var db = CreateContext();
        var matching = Exact(db, l => l.TenantId == 1 && l.Lang == "en" && l.Price > 60);
        Assert.InRange(matching.Count, 1, 20);
        Assert.Equal(matching, Knn(db, l => l.TenantId == 1 && l.Lang == "en" && l.Price > 60, 50));
    }
}
