using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace FunctionalTests.EFCore;

/// <summary>
/// A KNN query on a connection that stays open runs on a statement kept prepared between executions. These tests hold
/// the reused statement to what a fresh one does: the rows written in between, the transaction of the moment, nested
/// reads, errors, a connection closed and reopened. No command interceptor is registered here: with one, EF Core raises
/// command events and the plugin prepares every command afresh (the other EF Core tests cover that path).
/// </summary>
public sealed class EfPreparedStatementTests : IDisposable
{
    private readonly EfTestDatabase _database = new();
    private readonly SqliteConnection _connection;
    private readonly DocsContext _db;

    public EfPreparedStatementTests()
    {
        _connection = new SqliteConnection(_database.ConnectionString);
        _connection.Open();
        _db = new DocsContext(new DbContextOptionsBuilder<DocsContext>().UseSqlite(_connection, o => o.UseDiskAnn()).Options);
        DocsData.Seed(_db);
    }

    public void Dispose()
    {
        _db.Dispose();
        _connection.Dispose();
        _database.Dispose();
    }

    private int IdleStatements
        => ((DiskAnnRelationalConnection)_db.GetService<IRelationalConnection>()).PreparedStatements(_connection).IdleCount;

    private IQueryable<int> NearestQuery(float[] query, int k)
        => _db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(k).Select(d => d.Id);

    private List<int> Nearest(float[] query, int k = 5) => NearestQuery(query, k).ToList();

    private List<int> Exact(float[] query, int k = 5)
        => _db.Docs.AsNoTracking().AsEnumerable().OrderBy(d => DocsData.L2(d.Embedding, query)).Take(k).Select(d => d.Id).ToList();

    [Fact]
    public void A_repeated_query_keeps_one_statement_and_answers_each_vector()
    {
        var random = new Random(7);
        for (var i = 0; i < 6; i++)
        {
            var query = DocsData.Vector(random);
            Assert.Equal(Exact(query), Nearest(query));
        }

        Assert.Equal(1, IdleStatements);
    }

    [Fact]
    public void Rows_written_between_executions_are_seen()
    {
        var query = new[] { 0.9f, 0.9f, 0.9f, 0.9f };
        Nearest(query);
        Nearest(query);

        var added = new Doc { Title = "new", Category = "a", Embedding = query };
        _db.Docs.Add(added);
        _db.SaveChanges();
        Assert.Equal(added.Id, Nearest(query)[0]);

        _db.Docs.Where(d => d.Id == added.Id).ExecuteDelete();
        Assert.DoesNotContain(added.Id, Nearest(query));
        Assert.Equal(Exact(query), Nearest(query));
    }

    [Fact]
    public void The_current_transaction_is_used_and_then_dropped()
    {
        var query = new[] { -0.9f, 0.9f, -0.9f, 0.9f };
        Nearest(query);
        Nearest(query);

        using (var transaction = _db.Database.BeginTransaction())
        {
            var added = new Doc { Title = "uncommitted", Category = "a", Embedding = query };
            _db.Docs.Add(added);
            _db.SaveChanges();
            Assert.Equal(added.Id, Nearest(query)[0]);
            transaction.Rollback();
        }

        _db.ChangeTracker.Clear();

        // A command still holding the rolled-back transaction would throw here.
        Assert.Equal(Exact(query), Nearest(query));
        Assert.DoesNotContain(_db.Docs.Select(d => d.Title), t => t == "uncommitted");
    }

    [Fact]
    public void The_same_query_nested_inside_its_own_enumeration_gets_its_own_statement()
    {
        var outer = new[] { 0.2f, 0.1f, -0.4f, 0.3f };
        var inner = new[] { -0.5f, 0.5f, 0.1f, 0.0f };
        Nearest(outer);
        Nearest(outer);

        var pairs = new List<(int Outer, List<int> Inner)>();
        foreach (var id in NearestQuery(outer, 3))
        {
            pairs.Add((id, Nearest(inner)));
        }

        Assert.Equal(Exact(outer, 3), pairs.Select(p => p.Outer));
        Assert.All(pairs, p => Assert.Equal(Exact(inner), p.Inner));
    }

    [Fact]
    public void Pages_of_a_reused_Skip_Take_statement_follow_the_bound_values()
    {
        // Skip keeps a LIMIT (written LIMIT +@p so that rebinding it does not re-prepare): each execution must use the
        // values bound for it, not the ones the statement was first prepared with.
        var query = new[] { 0.4f, -0.1f, 0.2f, -0.3f };
        var exact = Exact(query, 20);
        foreach (var (skip, take) in new[] { (0, 5), (5, 4), (3, 7), (10, 8), (1, 2) })
        {
            var page = _db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Skip(skip).Take(take).Select(d => d.Id).ToList();
            Assert.Equal(exact.Skip(skip).Take(take), page);
        }

        // (Skip and Take differ in every pair: EF Core gives two equal values one parameter, which is another SQL text.)
        Assert.Equal(1, IdleStatements);
    }

    [Fact]
    public void A_failed_execution_leaves_the_statement_usable()
    {
        var query = new[] { 0.3f, 0.3f, -0.3f, 0.3f };
        Nearest(query);
        Nearest(query);

        var bad = new[] { 0.3f, float.NaN, -0.3f, 0.3f };
        var error = Assert.ThrowsAny<Exception>(() => Nearest(bad));
        Assert.Contains("NaN", error.Message);

        Assert.Equal(Exact(query), Nearest(query));
    }

    [Fact]
    public void Closing_the_connection_finalizes_the_statements_and_reopening_works()
    {
        var query = new[] { 0.1f, 0.2f, 0.3f, 0.4f };
        Nearest(query);
        Nearest(query);
        Assert.Equal(1, IdleStatements);

        _connection.Close();
        Assert.Equal(0, IdleStatements);

        // EF Core opens the closed connection for the query and closes it after: nothing is kept across that.
        Assert.Equal(Exact(query), Nearest(query));
        Assert.Equal(0, IdleStatements);

        _connection.Open();
        Nearest(query);
        Assert.Equal(Exact(query), Nearest(query));
        Assert.Equal(1, IdleStatements);
    }

    [Fact]
    public async Task Async_and_compiled_queries_share_the_statement()
    {
        var compiled = EF.CompileQuery((DocsContext c, float[] query, int k) =>
            c.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(k).Select(d => d.Id));
        var random = new Random(11);
        var kept = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            var query = DocsData.Vector(random);
            Assert.Equal(Exact(query), await NearestQuery(query, 5).ToListAsync());
            Assert.Equal(Exact(query), compiled(_db, query, 5).ToList());
            kept.Add(IdleStatements);
        }

        // One statement per SQL text (the compiled query names its parameters after the lambda's), not per execution.
        Assert.InRange(kept[^1], 1, 2);
        Assert.Equal(kept[1], kept[^1]);
    }
}
