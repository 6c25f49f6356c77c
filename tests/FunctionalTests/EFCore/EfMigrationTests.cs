using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using DiskAnn;

namespace FunctionalTests.EFCore;

/// <summary>
/// Schema changes over a file database: the differ's operations between model versions (what <c>migrations add</c>
/// scaffolds), run through the plugin's SQL generator, up and down; hand-written migrations with Migrate(); scripts.
/// </summary>
public sealed class EfMigrationTests : IDisposable
{
    private readonly EfTestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private static IModel DesignModel(DbContext db) => db.GetService<IDesignTimeModel>().Model;

    /// <summary>Migrates the database from <paramref name="from" />'s model to <paramref name="to" />'s (either may be null).</summary>
    internal static void Migrate(DbContext runner, DbContext? from, DbContext? to)
    {
        var source = from is null ? null : DesignModel(from);
        var target = to is null ? null : DesignModel(to);
        var operations = runner.GetService<IMigrationsModelDiffer>()
            .GetDifferences(source?.GetRelationalModel(), target?.GetRelationalModel());
        var commands = runner.GetService<IMigrationsSqlGenerator>().Generate(operations, target ?? source);
        runner.GetService<IMigrationCommandExecutor>().ExecuteNonQuery(commands, runner.GetService<IRelationalConnection>());
    }

    private static List<string> Schema(DbContext db, string type)
        => db.Database.SqlQuery<string>($"SELECT name AS \"Value\" FROM sqlite_master WHERE type = {type} ORDER BY name").ToList();

    internal static string? TableSql(DbContext db, string name)
        => db.Database.SqlQuery<string>($"SELECT sql AS \"Value\" FROM sqlite_master WHERE name = {name}").AsEnumerable().SingleOrDefault();

    private static int Nearest(ArticlesContextBase db, float[] vector)
        => db.Articles.OrderBy(a => EF.Functions.VectorDistance(a.Embedding, vector)).Take(1).Select(a => a.Id).Single();

    [Fact]
    public void Round_trip_add_apply_alter_apply_rename_down()
    {
        var cs = _database.ConnectionString;
        using var v1 = new ArticlesV1(cs);
        using var v2 = new ArticlesV2(cs);
        using var v3 = new ArticlesV3(cs);

        // Up to V1, with rows written before and after.
        Migrate(v1, null, v1);
        Assert.Contains("USING diskann(dimension=3, metric=cosine)", TableSql(v1, "IX_Articles_Embedding"));
        Assert.Equal(["IX_Articles_Embedding_delete", "IX_Articles_Embedding_insert", "IX_Articles_Embedding_update"], Schema(v1, "trigger"));
        v1.Articles.AddRange(
            new Article { Title = "x", Embedding = [1, 0, 0] },
            new Article { Title = "y", Embedding = [0, 1, 0] },
            new Article { Title = "none" });
        v1.SaveChanges();
        Assert.Equal(1, Nearest(v1, [0.9f, 0.1f, 0]));

        // V1 -> V2: options change (drop + create + refill) and a table rebuild in the same migration.
        Migrate(v2, v1, v2);
        Assert.Contains("USING diskann(dimension=3, metric=l2, max_degree=16, search_list_size=50)", TableSql(v2, "IX_Articles_Embedding"));
        Assert.Equal(["IX_Articles_Embedding_delete", "IX_Articles_Embedding_insert", "IX_Articles_Embedding_update"], Schema(v2, "trigger"));
        Assert.Equal(2, v2.Database.SqlQuery<long>($"SELECT count(*) AS \"Value\" FROM \"IX_Articles_Embedding\"").AsEnumerable().Single());
        Assert.Equal(2, Nearest(v2, [0.1f, 0.9f, 0]));
        v2.Articles.Add(new Article { Title = "z", Category = "new", Embedding = [0, 0, 1] });
        v2.SaveChanges();
        Assert.Equal(4, Nearest(v2, [0, 0.1f, 0.9f]));

        // V2 -> V3: the table and, by convention, the index are renamed.
        Migrate(v3, v2, v3);
        Assert.Null(TableSql(v3, "IX_Articles_Embedding"));
        Assert.Contains("metric=l2", TableSql(v3, "IX_Papers_Embedding"));
        Assert.Equal(["IX_Papers_Embedding_delete", "IX_Papers_Embedding_insert", "IX_Papers_Embedding_update"], Schema(v3, "trigger"));
        Assert.Equal(4, Nearest(v3, [0, 0.1f, 0.9f]));
        v3.Articles.Add(new Article { Title = "w", Embedding = [-1, 0, 0] });
        v3.SaveChanges();
        Assert.Equal(5, Nearest(v3, [-1, 0, 0]));

        // Down all the way: nothing of the index is left.
        Migrate(v3, v3, v2);
        Assert.Equal(5, Nearest(v2, [-1, 0, 0]));
        Migrate(v2, v2, v1);
        Assert.Contains("metric=cosine", TableSql(v1, "IX_Articles_Embedding"));
        Assert.Equal(1, Nearest(v1, [0.9f, 0.1f, 0]));
        Migrate(v1, v1, null);
        Assert.DoesNotContain(Schema(v1, "table"), n => !n.StartsWith("sqlite_", StringComparison.Ordinal));
        Assert.Empty(Schema(v1, "trigger"));
    }

    [Fact]
    public void A_table_rebuild_keeps_the_index_and_its_triggers()
    {
        var cs = _database.ConnectionString;
        using var v1 = new ArticlesV1(cs);
        using var rebuilt = new ArticlesV1Rebuilt(cs);
        Migrate(v1, null, v1);
        v1.Articles.AddRange(new Article { Title = "x", Embedding = [1, 0, 0] }, new Article { Title = "y", Embedding = [0, 1, 0] });
        v1.SaveChanges();

        var operations = rebuilt.GetService<IMigrationsModelDiffer>()
            .GetDifferences(DesignModel(v1).GetRelationalModel(), DesignModel(rebuilt).GetRelationalModel());
        Assert.Contains(operations, o => o is Microsoft.EntityFrameworkCore.Migrations.Operations.AlterColumnOperation);
        Migrate(rebuilt, v1, rebuilt);

        Assert.Contains("metric=cosine", TableSql(rebuilt, "IX_Articles_Embedding"));
        Assert.Equal(["IX_Articles_Embedding_delete", "IX_Articles_Embedding_insert", "IX_Articles_Embedding_update"], Schema(rebuilt, "trigger"));
        Assert.Equal(2, Nearest(rebuilt, [0, 1, 0]));
        rebuilt.Articles.Add(new Article { Title = "z", Embedding = [0, 0, 1] });
        rebuilt.SaveChanges();
        Assert.Equal(3, Nearest(rebuilt, [0, 0, 1]));
        rebuilt.Articles.Where(a => a.Id == 3).ExecuteDelete();
        Assert.NotEqual(3, Nearest(rebuilt, [0, 0, 1]));
    }

    [Fact]
    public void Hand_written_migrations_apply_and_revert_with_Migrate()
    {
        using var db = new HandWrittenContext(_database.ConnectionString);
        db.Database.Migrate();
        Assert.Contains("USING diskann(dimension=3, metric=l2, max_degree=8)", TableSql(db, "items_idx"));
        db.Items.AddRange(new Item { Name = "a", Vector = [1, 2, 3] }, new Item { Name = "b", Vector = [3, 2, 1] }, new Item { Name = "c" });
        db.SaveChanges();
        var query = new[] { 3f, 2f, 1.5f };
        var hit = db.Items.OrderBy(i => EF.Functions.VectorDistance(i.Vector, query)).Take(1).Single();
        Assert.Equal("b", hit.Name);

        db.GetService<IMigrator>().Migrate("0");
        Assert.Null(TableSql(db, "items_idx"));
        Assert.Null(TableSql(db, "items_idx_config"));
        Assert.Empty(Schema(db, "trigger"));
    }

    [Fact]
    public void RecreateDiskAnnTriggers_upgrades_a_database_created_with_the_old_triggers()
    {
        using var db = new HandWrittenContext(_database.ConnectionString);
        db.Database.Migrate();
        db.Items.AddRange(new Item { Name = "a", Vector = [1, 2, 3] }, new Item { Name = "b", Vector = [3, 2, 1] });
        db.SaveChanges();
        db.Database.OpenConnection();
        var connection = db.Database.GetDbConnection();
        OldTriggers.Install(connection, "items_idx", "Items", "Id", "Vector");

        void Exec(string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }

        void AssertKeys(long[] table, long[] index)
        {
            var keys = OldTriggers.Keys(connection, "items_idx", "Items", "Id", "Vector");
            Assert.Equal(table, keys.Table);
            Assert.Equal(index, keys.Index);
        }

        // The old triggers keep row 1's vector after a REPLACE gave it none.
        Exec("INSERT OR REPLACE INTO \"Items\" (\"Id\", \"Name\", \"Vector\") VALUES (1, 'a', NULL)");
        AssertKeys([2], [1, 2]);

        // A hand-written migration step: the triggers are replaced (here with Name declared unique), the index repaired.
        Exec("CREATE UNIQUE INDEX \"IX_Items_Name\" ON \"Items\" (\"Name\")");
        var migrationBuilder = new MigrationBuilder("Microsoft.EntityFrameworkCore.Sqlite");
        migrationBuilder.RecreateDiskAnnTriggers("items_idx", "Items", "Vector", uniqueKeys: [["Name"]]);
        var commands = db.GetService<IMigrationsSqlGenerator>().Generate(migrationBuilder.Operations);
        Assert.DoesNotContain(commands, c => c.CommandText.Contains("CREATE VIRTUAL TABLE", StringComparison.Ordinal));
        db.GetService<IMigrationCommandExecutor>().ExecuteNonQuery(commands, db.GetService<IRelationalConnection>());
        AssertKeys([2], [2]);
        Assert.Contains("items_idx_replaced_before_insert", Schema(db, "trigger"));

        // REPLACE through the key and through Name.
        Exec("INSERT OR REPLACE INTO \"Items\" (\"Id\", \"Name\", \"Vector\") VALUES (5, 'b', X'0000803F0000803F0000803F')");
        Exec("INSERT OR REPLACE INTO \"Items\" (\"Id\", \"Name\", \"Vector\") VALUES (1, 'a', X'0000803F0000803F00000000')");
        AssertKeys([1, 5], [1, 5]);
        var query = new[] { 1f, 1f, 0.9f };
        Assert.Equal("b", db.Items.OrderBy(i => EF.Functions.VectorDistance(i.Vector, query)).Take(1).Single().Name);
    }

    [Fact]
    public void EnsureCreated_and_EnsureDeleted_and_the_create_script_run()
    {
        using (var db = new ArticlesV2(_database.ConnectionString))
        {
            Assert.True(db.Database.EnsureCreated());
            db.Articles.Add(new Article { Title = "x", Embedding = [1, 0, 0] });
            db.SaveChanges();
            Assert.Equal(1, Nearest(db, [1, 0, 0]));

            var script = db.Database.GenerateCreateScript();
            Assert.Contains("CREATE VIRTUAL TABLE \"IX_Articles_Embedding\" USING diskann(", script);
            Assert.True(db.Database.EnsureDeleted());

            // The script, run by hand on a connection with the module loaded, gives the same schema.
            using var connection = new SqliteConnection(_database.ConnectionString);
            connection.Open();
            connection.LoadDiskAnn();
            using var command = connection.CreateCommand();
            command.CommandText = script;
            command.ExecuteNonQuery();
        }

        using (var db = new ArticlesV2(_database.ConnectionString))
        {
            db.Articles.Add(new Article { Title = "y", Embedding = [0, 1, 0] });
            db.SaveChanges();
            Assert.Equal(1, Nearest(db, [0, 1, 0]));
        }
    }

    [Fact]
    public void Dropping_the_entity_drops_its_index()
    {
        using var v1 = new ArticlesV1(_database.ConnectionString);
        Migrate(v1, null, v1);
        var operations = v1.GetService<IMigrationsModelDiffer>().GetDifferences(DesignModel(v1).GetRelationalModel(), null);
        var drop = Assert.Single(operations.OfType<Microsoft.EntityFrameworkCore.Migrations.Operations.DropTableOperation>());
        Assert.Equal("IX_Articles_Embedding", drop[DiskAnnAnnotationNames.VirtualTables]);
        Migrate(v1, v1, null);
        Assert.Null(TableSql(v1, "IX_Articles_Embedding"));
        Assert.Null(TableSql(v1, "IX_Articles_Embedding_graph"));
    }
}
