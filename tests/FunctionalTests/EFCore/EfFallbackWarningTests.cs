using DiskAnn;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace FunctionalTests.EFCore;

/// <summary>
/// Every query ordered by the distance on an indexed column that the index does not answer logs
/// <see cref="DiskAnnEventId.ExactScanFallback" /> with the reason, and <c>ConfigureWarnings</c> can make it throw.
/// </summary>
public sealed class EfFallbackWarningTests : IDisposable
{
    private const int MaxK = DiskAnnLimits.MaxK;

    private readonly EfTestDatabase _database = new();
    private readonly SqlCapture _sql = new();
    private readonly List<EventData> _events = [];
    private readonly float[] _query = [0.1f, -0.2f, 0.3f, 0.4f];

    public EfFallbackWarningTests()
    {
        using var db = CreateContext();
        DocsData.Seed(db);
        DocsData.SeedNotes(db);
        _events.Clear();
    }

    public void Dispose() => _database.Dispose();

    /// <summary>
    /// A context that records the plugin's warnings. Service provider caching is off, so that each test compiles its
    /// queries (and logs their warnings) itself instead of finding them in the query cache of another test's context.
    /// </summary>
    private DocsContext CreateContext(Action<WarningsConfigurationBuilder>? warnings = null)
    {
        var builder = new DbContextOptionsBuilder<DocsContext>(DocsContext.Options(_database.ConnectionString, _sql))
            .EnableServiceProviderCaching(false)
            .LogTo((id, _) => id == DiskAnnEventId.ExactScanFallback, e =>
            {
                lock (_events)
                {
                    _events.Add(e);
                }
            });
        if (warnings is not null)
        {
            builder.ConfigureWarnings(warnings);
        }

        return new DocsContext(builder.Options);
    }

    private string SingleWarning()
    {
        var e = Assert.Single(_events);
        _events.Clear();
        Assert.Equal(DiskAnnEventId.ExactScanFallback, e.EventId);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, e.LogLevel);
        Assert.DoesNotContain("MATCH", _sql.Last);
        return Assert.IsType<DiskAnnExactScanFallbackEventData>(e).Reason;
    }

    [Fact]
    public void Each_shape_the_index_does_not_answer_is_logged_with_its_reason()
    {
        using var db = CreateContext();
        var query = _query;

        db.Notes.OrderBy(n => EF.Functions.VectorDistance(n.Vector, query, DiskAnnMetric.L2)).Take(5).Select(n => n.Id).ToList();
        var metric = SingleWarning();
        Assert.Contains("on 'Notes.Vector' measures l2, but its diskann index 'IX_Notes_Vector' orders by dot", metric);
        Assert.Contains("Leave the metric argument out", metric);

        db.Notes.OrderByDescending(n => EF.Functions.VectorDistance(n.Vector, query)).Take(5).Select(n => n.Id).ToList();
        Assert.Contains("is descending (OrderByDescending)", SingleWarning());

        db.Notes.OrderBy(n => EF.Functions.VectorDistance(n.Vector, query)).Select(n => n.Id).ToList();
        Assert.Contains($"has no Take(k): every row is sorted. Add Take(k) (at most {MaxK}", SingleWarning());

        db.Notes
            .Select(n => new { n.Id, Distance = EF.Functions.VectorDistance(n.Vector, query) })
            .Distinct()
            .OrderBy(x => x.Distance)
            .Take(5)
            .ToList();
        Assert.Contains("follows Distinct()", SingleWarning());
    }

    [Fact]
    public void Queries_the_index_answers_and_distances_on_columns_without_an_index_log_nothing()
    {
        using var db = CreateContext();
        var query = _query;
        db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Skip(2).Take(5).Select(d => d.Id).ToList();
        Assert.Contains("MATCH", _sql.Last);
        db.Docs.Where(d => d.Category == "a").OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(3).Include(d => d.Tags).ToList();
        db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Extra, query)).Take(5).Select(d => d.Id).ToList();
        db.Docs.OrderBy(d => d.Title).Select(d => EF.Functions.VectorDistance(d.Embedding, query)).ToList();
        Assert.Empty(_events);
    }

    [Theory]
    [InlineData(0, MaxK + 1)]
    [InlineData(MaxK - 1, 5)]
    public void A_k_above_the_limit_is_logged_each_time_it_runs(int skip, int take)
    {
        using var db = CreateContext();
        var query = _query;
        for (var run = 0; run < 2; run++)
        {
            var ids = db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Skip(skip).Take(take).Select(d => d.Id).ToList();
            Assert.Equal(skip == 0 ? DocsData.Count : 0, ids.Count);
            var reason = SingleWarning();
            Assert.Contains($"Skip + Take of {skip + take} rows asks the index for more than its limit of {MaxK}", reason);
        }

        // The same query within the limit: the index, no warning.
        db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Skip(0).Take(MaxK).Select(d => d.Id).ToList();
        Assert.Contains("MATCH", _sql.Last);
        Assert.Empty(_events);
    }

    [Fact]
    public void A_constant_k_above_the_limit_is_answered_exactly_and_logged()
    {
        using var db = CreateContext();
        var query = _query;
        var ids = db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Skip(9990).Take(20).Select(d => d.Id).ToList();
        Assert.Empty(ids);
        Assert.Contains("Skip + Take of 10010 rows", SingleWarning());

        var all = db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(20000).Select(d => d.Id).ToList();
        Assert.Equal(db.Docs.AsNoTracking().AsEnumerable().OrderBy(d => DocsData.L2(d.Embedding, query)).Select(d => d.Id), all);
        Assert.Contains("Skip + Take of 20000 rows", SingleWarning());
    }

    [Fact]
    public void ConfigureWarnings_Throw_makes_a_fallback_fail()
    {
        using var db = CreateContext(w => w.Throw(DiskAnnEventId.ExactScanFallback));
        var query = _query;
        var error = Assert.Throws<InvalidOperationException>(
            () => db.Notes.OrderByDescending(n => EF.Functions.VectorDistance(n.Vector, query)).Take(5).ToList());
        Assert.Contains("DiskAnnEventId.ExactScanFallback", error.Message);
        Assert.Contains("is descending (OrderByDescending)", error.Message);

        var take = MaxK + 1;
        var tooMany = Assert.Throws<InvalidOperationException>(
            () => db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(take).ToList());
        Assert.Contains($"Skip + Take of {take} rows", tooMany.Message);

        // What the index answers still runs.
        Assert.Equal(5, db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(5).Count());
    }
}
