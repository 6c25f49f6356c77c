using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace FunctionalTests.EFCore;

/// <summary>
/// A Guid key and a key converted to a string through migrations (the differ's operations between model versions, run
/// through the plugin's SQL generator): the index is added to tables that have rows, its triggers change, its options
/// change, it is removed, and each step is reverted; KNN answers are checked against an exact computation after each.
/// </summary>
public sealed class EfKeyMigrationTests : IDisposable
{
    private readonly EfTestDatabase _database = new();
    private readonly Random _random = new(21);

    public void Dispose() => _database.Dispose();

    private KeyedArticlesContext Context(int version) => new(_database.ConnectionString, version);

    private float[] Vector() => [.. Enumerable.Range(0, 3).Select(_ => (float)(_random.NextDouble() * 2 - 1))];

    private static List<string> Schema(DbContext db, string type)
        => db.Database.SqlQuery<string>($"SELECT name AS \"Value\" FROM sqlite_master WHERE type = {type} ORDER BY name").ToList();

    private void AddRows(KeyedArticlesContext db, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            db.Add(new GuidArticle { Title = "g" + i, Slug = "g" + i, Embedding = i % 7 == 0 ? null : Vector() });
            db.Add(new CodedArticle { Code = new Handle("c" + i), Title = "c" + i, Slug = "c" + i, Embedding = i % 7 == 0 ? null : Vector() });
        }

        db.SaveChanges();
        db.ChangeTracker.Clear();
    }

    /// <summary>The KNN answers of both entities have the exact nearest distances, and the index holds every row with a vector.</summary>
    private void AssertKnn<T>(KeyedArticlesContext db, string index)
        where T : class
    {
        var rows = db.Set<T>().AsNoTracking()
            .Where(a => EF.Property<float[]?>(a, "Embedding") != null)
            .Select(a => EF.Property<float[]>(a, "Embedding"))
            .ToList();
        for (var q = 0; q < 3; q++)
        {
            var query = Vector();
            var expected = rows.Select(r => DocsData.L2(r, query)).Order().Take(5).ToList();
            var found = db.Set<T>().OrderBy(a => EF.Functions.VectorDistance(EF.Property<float[]>(a, "Embedding"), query)).Take(5)
                .Select(a => EF.Property<float[]>(a, "Embedding")).ToList();
            var distances = found.Select(f => DocsData.L2(f, query)).ToList();
            Assert.True(
                expected.Count == distances.Count && expected.Zip(distances).All(p => Math.Abs(p.First - p.Second) < 1e-5),
                $"{typeof(T).Name}: expected {string.Join(", ", expected.Select(d => d.ToString("F5", CultureInfo.InvariantCulture)))}; got {string.Join(", ", distances.Select(d => d.ToString("F5", CultureInfo.InvariantCulture)))}");
        }

        Assert.Equal(rows.Count, EfKeysTests.Count(db, index));
        Assert.Equal(rows.Count, EfKeysTests.Count(db, index + "_keys"));
    }

    private void AssertBoth(KeyedArticlesContext db)
    {
        AssertKnn<GuidArticle>(db, "IX_GuidArticle_Embedding");
        AssertKnn<CodedArticle>(db, "IX_CodedArticle_Embedding");
    }

    /// <summary>The SQL of the migration from <paramref name="from" />'s model to <paramref name="to" />'s.</summary>
    private static List<string> Commands(DbContext runner, DbContext from, DbContext to)
    {
        var source = from.GetService<IDesignTimeModel>().Model;
        var target = to.GetService<IDesignTimeModel>().Model;
        var operations = runner.GetService<IMigrationsModelDiffer>().GetDifferences(source.GetRelationalModel(), target.GetRelationalModel());
        return runner.GetService<IMigrationsSqlGenerator>().Generate(operations, target).Select(c => c.CommandText).ToList();
    }

    [Fact]
    public void Guid_and_converted_keys_through_migrations_add_change_and_remove_the_index()
    {
        using var v0 = Context(0);
        using var v1 = Context(1);
        using var v2 = Context(2);
        using var v3 = Context(3);
        using var v4 = Context(4);

        // Tables with rows, no index yet.
        EfMigrationTests.Migrate(v0, null, v0);
        AddRows(v0, 1, 40);

        // The index is added: created, its key map filled from the rows already there.
        EfMigrationTests.Migrate(v1, v0, v1);
        Assert.Contains("IX_GuidArticle_Embedding_keys", Schema(v1, "table"));
        Assert.Contains("IX_CodedArticle_Embedding_keys", Schema(v1, "table"));
        AssertBoth(v1);
        AddRows(v1, 100, 20);
        AssertBoth(v1);

        // A unique slug: only the triggers change (the graph is kept), and a REPLACE through the slug is followed.
        var graphBefore = EfKeysTests.Count(v1, "IX_GuidArticle_Embedding_keys");
        var commands = Commands(v2, v1, v2);
        Assert.DoesNotContain(commands, c => c.Contains("VIRTUAL TABLE", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.StartsWith("DELETE FROM \"IX_GuidArticle_Embedding_keys\"", StringComparison.Ordinal));
        EfMigrationTests.Migrate(v2, v1, v2);
        Assert.Contains("IX_GuidArticle_Embedding_replaced_before_insert", Schema(v2, "trigger"));
        Assert.Equal(graphBefore, EfKeysTests.Count(v2, "IX_GuidArticle_Embedding_keys"));
        v2.Database.ExecuteSqlRaw(
            "INSERT OR REPLACE INTO \"GuidArticle\" (\"Id\", \"Title\", \"Slug\", \"Embedding\") VALUES ('00000000-0000-0000-0000-0000000000AA', 'replacing', 'g2', vector_from_json('[0.5, 0.5, 0.5]'))");
        v2.Database.ExecuteSqlRaw(
            "INSERT OR REPLACE INTO \"CodedArticle\" (\"Code\", \"Title\", \"Slug\", \"Embedding\") VALUES ('new', 'replacing', 'c3', vector_from_json('[0.5, 0.5, 0.5]'))");
        Assert.False(v2.Set<GuidArticle>().Any(a => a.Title == "g2"));
        Assert.False(v2.Set<CodedArticle>().Any(a => a.Title == "c3"));
        AssertBoth(v2);

        // Other options: the index and its key map are built again from the rows.
        EfMigrationTests.Migrate(v3, v2, v3);
        Assert.Contains("max_degree=16", EfMigrationTests.TableSql(v3, "IX_GuidArticle_Embedding"));
        AssertBoth(v3);
        AddRows(v3, 200, 10);
        AssertBoth(v3);

        // Removed: the index, its key map and its triggers go; the rows stay.
        EfMigrationTests.Migrate(v4, v3, v4);
        Assert.DoesNotContain(Schema(v4, "table"), t => t.StartsWith("IX_", StringComparison.Ordinal));
        Assert.Empty(Schema(v4, "trigger"));
        Assert.Equal(70, v4.Set<GuidArticle>().Count());
        AddRows(v4, 300, 5);

        // Down: back with the rows written meanwhile, then to the model without the index, then to nothing.
        EfMigrationTests.Migrate(v3, v4, v3);
        AssertBoth(v3);
        EfMigrationTests.Migrate(v1, v3, v1);
        AssertBoth(v1);
        EfMigrationTests.Migrate(v0, v1, v0);
        Assert.DoesNotContain(Schema(v0, "table"), t => t.StartsWith("IX_", StringComparison.Ordinal));
        Assert.Empty(Schema(v0, "trigger"));
        EfMigrationTests.Migrate(v0, v0, null);
        Assert.DoesNotContain(Schema(v0, "table"), t => !t.StartsWith("sqlite_", StringComparison.Ordinal));
    }

    [Fact]
    public void A_table_rebuild_keeps_the_key_map_and_its_triggers()
    {
        using var v1 = Context(1);
        using var v5 = Context(5);
        EfMigrationTests.Migrate(v1, null, v1);
        AddRows(v1, 1, 30);

        var commands = Commands(v5, v1, v5);
        Assert.Contains(commands, c => c.StartsWith("ALTER TABLE \"ef_temp_GuidArticle\" RENAME TO", StringComparison.Ordinal));
        Assert.DoesNotContain(commands, c => c.Contains("VIRTUAL TABLE", StringComparison.Ordinal));
        EfMigrationTests.Migrate(v5, v1, v5);
        Assert.Contains("IX_GuidArticle_Embedding_insert", Schema(v5, "trigger"));
        Assert.Contains("IX_CodedArticle_Embedding_delete", Schema(v5, "trigger"));
        AssertBoth(v5);

        // The triggers on the new tables follow writes through the key map.
        AddRows(v5, 100, 10);
        v5.Set<GuidArticle>().Where(a => a.Title.EndsWith("3")).ExecuteDelete();
        v5.Set<CodedArticle>().Where(a => a.Title.EndsWith("4")).ExecuteUpdate(s => s.SetProperty(a => a.Embedding, (float[]?)null));
        AssertBoth(v5);
    }

    [Fact]
    public void A_take_beyond_the_modules_k_limit_is_answered_exactly_by_key()
    {
        using var v1 = Context(1);
        EfMigrationTests.Migrate(v1, null, v1);
        AddRows(v1, 1, 30);
        var query = Vector();
        var expected = v1.Set<GuidArticle>().AsNoTracking().Where(a => a.Embedding != null).AsEnumerable()
            .OrderBy(a => DocsData.L2(a.Embedding!, query)).Select(a => a.Id).ToList();
        var all = v1.Set<GuidArticle>().OrderBy(a => EF.Functions.VectorDistance(a.Embedding, query)).Take(10_001).Select(a => a.Id).ToList();
        Assert.Equal(expected, all);
    }

    [Fact]
    public void A_key_that_becomes_TEXT_in_a_migration_moves_the_index_to_a_key_map_over_the_same_rows()
    {
        using var asInteger = new RekeyedContext(_database.ConnectionString, asText: false);
        using var asText = new RekeyedContext(_database.ConnectionString, asText: true);
        EfMigrationTests.Migrate(asInteger, null, asInteger);
        asInteger.AddRange(Enumerable.Range(1, 40).Select(i => new RekeyedDoc { Id = i, Title = "d" + i, Embedding = i % 9 == 0 ? null : Vector() }));
        asInteger.SaveChanges();

        // SQLite rebuilds the table (INTEGER -> TEXT key); the index is built again over the key map.
        EfMigrationTests.Migrate(asText, asInteger, asText);
        Assert.Contains("\"Id\" TEXT", EfMigrationTests.TableSql(asText, "RekeyedDoc"));
        Assert.Contains("IX_RekeyedDoc_Embedding_keys", Schema(asText, "table"));
        AssertRekeyed(asText);

        asText.Set<RekeyedDoc>().Where(d => d.Id == 5 || d.Id == 6).ExecuteDelete();
        asText.AddRange(Enumerable.Range(100, 5).Select(i => new RekeyedDoc { Id = i, Title = "d" + i, Embedding = Vector() }));
        asText.SaveChanges();
        AssertRekeyed(asText);

        // And back to the integer rowid: the key map goes.
        EfMigrationTests.Migrate(asInteger, asText, asInteger);
        Assert.DoesNotContain("IX_RekeyedDoc_Embedding_keys", Schema(asInteger, "table"));
        AssertRekeyed(asInteger);
    }

    /// <summary>The nearest keys (a key-only projection) and entities are the exact ones, and the index holds every row with a vector.</summary>
    private void AssertRekeyed(RekeyedContext db)
    {
        db.ChangeTracker.Clear();
        var rows = db.Set<RekeyedDoc>().AsNoTracking().Where(d => d.Embedding != null).ToList();
        for (var q = 0; q < 3; q++)
        {
            var query = Vector();
            var expected = rows.OrderBy(r => DocsData.L2(r.Embedding!, query)).Take(5).Select(r => r.Id).ToList();
            Assert.Equal(expected, db.Set<RekeyedDoc>().OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(5).Select(d => d.Id).ToList());
            Assert.Equal(expected, db.Set<RekeyedDoc>().AsNoTracking().OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(5).AsEnumerable().Select(d => d.Id).ToList());
        }

        Assert.Equal(rows.Count, EfKeysTests.Count(db, "IX_RekeyedDoc_Embedding"));
    }
}
