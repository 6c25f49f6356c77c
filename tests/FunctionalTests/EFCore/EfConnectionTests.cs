using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionalTests.EFCore;

/// <summary>UseDiskAnn loads the module on every connection EF Core uses, however the connection is supplied.</summary>
public sealed class EfConnectionTests : IDisposable
{
    private readonly EfTestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private static void AssertSearchWorks(DocsContext db)
    {
        DocsData.Seed(db);
        var query = new[] { 0.5f, 0.5f, 0.5f, 0.5f };
        var hits = db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(3).ToList();
        Assert.Equal(3, hits.Count);
    }

    [Fact]
    public void Connection_string_with_the_chained_form()
    {
        var options = new DbContextOptionsBuilder<DocsContext>().UseSqlite(_database.ConnectionString).UseDiskAnn().Options;
        using var db = new DocsContext(options);
        AssertSearchWorks(db);
    }

    [Fact]
    public void A_closed_user_connection()
    {
        using var connection = new SqliteConnection(_database.ConnectionString);
        using var db = new DocsContext(new DbContextOptionsBuilder<DocsContext>().UseSqlite(connection, o => o.UseDiskAnn()).Options);
        AssertSearchWorks(db);
    }

    [Fact]
    public void An_already_open_user_connection()
    {
        using var connection = new SqliteConnection(_database.ConnectionString);
        connection.Open();
        using var db = new DocsContext(new DbContextOptionsBuilder<DocsContext>().UseSqlite(connection, o => o.UseDiskAnn()).Options);
        AssertSearchWorks(db);
    }

    [Fact]
    public void Pooled_connections_and_pooled_contexts()
    {
        var pooled = $"Data Source={_database.FilePath}";
        var services = new ServiceCollection()
            .AddDbContextPool<DocsContext>(o => o.UseSqlite(pooled, s => s.UseDiskAnn()))
            .BuildServiceProvider();
        using (var scope = services.CreateScope())
        {
            AssertSearchWorks(scope.ServiceProvider.GetRequiredService<DocsContext>());
        }

        for (var i = 0; i < 3; i++)
        {
            using var scope = services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<DocsContext>();
            var query = new[] { 0.5f, 0.5f, 0.5f, 0.5f };
            Assert.Equal(3, db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(3).Count());
        }
    }
}
