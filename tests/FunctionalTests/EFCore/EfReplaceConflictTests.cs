using DiskAnn;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

public class Card
{
    public long Id { get; set; }
    public string Title { get; set; } = "";
    public string? Slug { get; set; }
    public string? Lang { get; set; }
    public float[]? Embedding { get; set; }
}

/// <summary>Cards: a unique Title, a unique (Slug, Lang), a nullable L2 vector of 3 floats.</summary>
public class CardsContext(string connectionString, bool uniques = true) : DbContext
{
    public DbSet<Card> Cards => Set<Card>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
        => optionsBuilder.UseSqlite(connectionString, o => o.UseDiskAnn())
            .ReplaceService<Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory, CardsModelCacheKeyFactory>();

    public bool Uniques => uniques;

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var card = modelBuilder.Entity<Card>();
        card.Property(c => c.Id).ValueGeneratedNever();
        if (uniques)
        {
            card.HasIndex(c => c.Title).IsUnique();
            card.HasIndex(c => new { c.Slug, c.Lang }).IsUnique();
        }

        card.HasDiskAnnIndex(c => c.Embedding, 3).HasMetric(DiskAnnMetric.L2);
    }

    private sealed class CardsModelCacheKeyFactory : Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), ((CardsContext)context).Uniques, designTime);
    }
}

/// <summary>
/// The triggers keep the index equal to the table under every conflict clause, without <c>PRAGMA recursive_triggers</c>:
/// after each statement, the index's rowids are the keys of the rows with a vector and each index vector is its row's.
/// </summary>
public sealed class EfReplaceConflictTests : IDisposable
{
    private readonly EfTestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private CardsContext Create(bool uniques = true, bool recursiveTriggers = false)
    {
        var db = new CardsContext(_database.ConnectionString, uniques);
        db.Database.EnsureCreated();
        db.Database.OpenConnection();
        if (recursiveTriggers)
        {
            Exec(db, "PRAGMA recursive_triggers = ON");
        }

        return db;
    }

    private static string V(params float[] v) => "vector_from_json('[" + string.Join(",", v.Select(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]')";

    /// <summary>The table's rows with a vector, and the index's rows, as (key, vector bytes) in key order.</summary>
    private static (List<(long, string)> Table, List<(long, string)> Index) Read(CardsContext db)
    {
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        static List<(long, string)> Rows(SqliteConnection connection, string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            using var reader = command.ExecuteReader();
            var rows = new List<(long, string)>();
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), Convert.ToHexString((byte[])reader.GetValue(1))));
            }

            return rows;
        }

        return (
            Rows(connection, "SELECT \"Id\", \"Embedding\" FROM \"Cards\" WHERE \"Embedding\" IS NOT NULL ORDER BY \"Id\""),
            Rows(connection, "SELECT rowid, vector FROM \"IX_Cards_Embedding\" ORDER BY rowid"));
    }

    private static void AssertInSync(CardsContext db, string after)
    {
        var (table, index) = Read(db);
        Assert.True(
            table.SequenceEqual(index),
            $"After {after}:\n table {string.Join(" ", table.Select(r => r.Item1))}\n index {string.Join(" ", index.Select(r => r.Item1))}");
    }

    /// <summary>EF's KNN returns exactly the brute-force nearest rows with a vector, never a row that is gone or has none.</summary>
    private static void AssertKnnExact(CardsContext db, float[] query)
    {
        var knn = db.Cards.AsNoTracking()
            .OrderBy(c => EF.Functions.VectorDistance(c.Embedding, query))
            .Take(5)
            .Select(c => new { c.Id, c.Embedding })
            .ToList();
        var exact = db.Cards.AsNoTracking().Where(c => c.Embedding != null).AsEnumerable()
            .OrderBy(c => DocsData.L2(c.Embedding!, query)).ThenBy(c => c.Id)
            .Take(5)
            .ToList();
        Assert.All(knn, k => Assert.NotNull(k.Embedding));
        Assert.Equal(
            exact.Select(e => DocsData.L2(e.Embedding!, query)),
            knn.Select(k => DocsData.L2(k.Embedding!, query)));
    }

    /// <summary>Runs SQL text built by the test (constants only) on the context's open connection.</summary>
    private static void Exec(CardsContext db, string sql)
    {
        using var command = ((SqliteConnection)db.Database.GetDbConnection()).CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void Run(CardsContext db, string sql)
    {
        Exec(db, sql);
        AssertInSync(db, sql);
    }

    private static void Seed(CardsContext db)
        => Run(
            db,
            $"""
            INSERT INTO "Cards" ("Id", "Title", "Slug", "Lang", "Embedding") VALUES
                (1, 'a', 's1', 'en', {V(1, 0, 0)}), (2, 'b', 's2', 'en', {V(2, 0, 0)}), (3, 'c', 's3', 'en', {V(3, 0, 0)}),
                (4, 'd', 's1', 'fr', NULL), (5, 'e', 's5', 'en', {V(5, 0, 0)})
            """);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_conflict_clause_keeps_the_index_equal_to_the_table(bool recursiveTriggers)
    {
        using var db = Create(recursiveTriggers: recursiveTriggers);
        Seed(db);

        // REPLACE through the key: a NULL vector, a new vector.
        Run(db, "INSERT OR REPLACE INTO \"Cards\" (\"Id\", \"Title\", \"Embedding\") VALUES (2, 'b', NULL)");
        Run(db, $"REPLACE INTO \"Cards\" (\"Id\", \"Title\", \"Embedding\") VALUES (1, 'a', {V(1, 1, 0)})");

        // REPLACE through another UNIQUE constraint (the row 3 goes), then through two at once (the rows 4 and 5).
        Run(db, $"INSERT OR REPLACE INTO \"Cards\" (\"Id\", \"Title\", \"Embedding\") VALUES (30, 'c', {V(30, 0, 0)})");
        Run(db, $"INSERT OR REPLACE INTO \"Cards\" (\"Id\", \"Title\", \"Slug\", \"Lang\", \"Embedding\") VALUES (50, 'e', 's1', 'fr', {V(50, 0, 0)})");
        Assert.Equal([1, 2, 30, 50], db.Cards.AsNoTracking().OrderBy(c => c.Id).Select(c => c.Id).ToList());

        // Through the key and a UNIQUE column of two different rows; a statement whose later rows replace earlier ones.
        Run(db, $"INSERT OR REPLACE INTO \"Cards\" (\"Id\", \"Title\", \"Embedding\") VALUES (30, 'd', {V(31, 0, 0)})");
        Run(db, $"INSERT OR REPLACE INTO \"Cards\" (\"Id\", \"Title\", \"Embedding\") VALUES (60, 'x', {V(60, 0, 0)}), (61, 'x', {V(61, 0, 0)}), (62, 'y', NULL), (60, 'z', {V(6, 0, 0)})");

        // UPDATE OR REPLACE of the key onto a row with a vector, with and without a vector of its own; of a UNIQUE column.
        Run(db, $"INSERT INTO \"Cards\" (\"Id\", \"Title\", \"Embedding\") VALUES (7, 'g', NULL), (8, 'h', {V(8, 0, 0)})");
        Run(db, "UPDATE OR REPLACE \"Cards\" SET \"Id\" = 50 WHERE \"Id\" = 7");
        Run(db, "UPDATE OR REPLACE \"Cards\" SET \"Id\" = 30 WHERE \"Id\" = 8");
        Run(db, "UPDATE OR REPLACE \"Cards\" SET \"Title\" = 'z' WHERE \"Id\" = 61");
        Run(db, "UPDATE OR REPLACE \"Cards\" SET \"Slug\" = 's9', \"Lang\" = 'en', \"Title\" = 'b' WHERE \"Id\" = 30");
        Run(db, "UPDATE OR REPLACE \"Cards\" SET \"Id\" = \"Id\" + 1");

        // UPSERT, through the key and through a UNIQUE column; DO NOTHING; OR IGNORE; OR FAIL and OR ABORT that fail.
        Run(db, $"INSERT INTO \"Cards\" (\"Id\", \"Title\", \"Embedding\") VALUES (31, 'q', {V(9, 9, 9)}) ON CONFLICT (\"Id\") DO UPDATE SET \"Embedding\" = excluded.\"Embedding\"");
        Run(db, $"INSERT INTO \"Cards\" (\"Id\", \"Title\", \"Embedding\") VALUES (90, 'q', {V(9, 0, 9)}) ON CONFLICT (\"Title\") DO UPDATE SET \"Embedding\" = NULL, \"Id\" = 91");
        Run(db, $"INSERT INTO \"Cards\" (\"Id\", \"Title\", \"Embedding\") VALUES (92, 'q', {V(9, 0, 0)}) ON CONFLICT DO NOTHING");
        Run(db, $"INSERT OR IGNORE INTO \"Cards\" (\"Id\", \"Title\", \"Embedding\") VALUES (93, 'q', {V(1, 2, 3)}), (94, 'w', {V(4, 5, 6)})");
        Run(db, $"UPDATE OR IGNORE \"Cards\" SET \"Title\" = 'q' WHERE \"Id\" = 94");
        Assert.Throws<SqliteException>(() => Exec(db, $"INSERT OR FAIL INTO \"Cards\" (\"Id\", \"Title\", \"Embedding\") VALUES (95, 'r', {V(1, 0, 1)}), (96, 'q', {V(1, 0, 2)})"));
        AssertInSync(db, "INSERT OR FAIL");
        Assert.Throws<SqliteException>(() => Exec(db, "UPDATE \"Cards\" SET \"Title\" = 'q' WHERE \"Id\" = 95"));
        AssertInSync(db, "UPDATE that fails");

        // Plain statements: vectors in and out, a key change, a delete.
        Run(db, $"UPDATE \"Cards\" SET \"Embedding\" = {V(7, 7, 7)} WHERE \"Embedding\" IS NULL");
        Run(db, "UPDATE \"Cards\" SET \"Embedding\" = NULL WHERE \"Id\" % 2 = 0");
        Run(db, "UPDATE \"Cards\" SET \"Id\" = \"Id\" + 1000 WHERE \"Id\" % 3 = 0");
        Run(db, "DELETE FROM \"Cards\" WHERE \"Id\" > 1000");
        AssertKnnExact(db, [7, 7, 7]);
        AssertKnnExact(db, [30, 0, 0]);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Random_statements_under_every_conflict_clause_keep_the_index_equal_to_the_table(bool uniques, bool recursiveTriggers)
    {
        using var db = Create(uniques, recursiveTriggers);
        var random = new Random(uniques ? 7 : 8);
        string Key() => random.Next(1, 25).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string Text(string prefix) => "'" + prefix + random.Next(0, 12) + "'";
        string Vector() => random.Next(4) == 0 ? "NULL" : V(random.Next(-9, 10), random.Next(-9, 10), random.Next(-9, 10));
        string[] clauses = ["", "OR REPLACE ", "OR IGNORE ", "OR ABORT ", "OR FAIL ", "OR ROLLBACK "];
        var failures = 0;
        for (var i = 0; i < 400; i++)
        {
            var clause = clauses[random.Next(clauses.Length)];
            var sql = random.Next(6) switch
            {
                0 or 1 => $"INSERT {clause}INTO \"Cards\" (\"Id\", \"Title\", \"Slug\", \"Lang\", \"Embedding\") VALUES ({Key()}, {Text("t")}, {Text("s")}, {(random.Next(2) == 0 ? "'en'" : "'fr'")}, {Vector()}), ({Key()}, {Text("t")}, NULL, NULL, {Vector()})",
                2 => $"UPDATE {clause}\"Cards\" SET \"Id\" = {Key()} WHERE \"Id\" = {Key()}",
                3 => $"UPDATE {clause}\"Cards\" SET \"Title\" = {Text("t")}, \"Embedding\" = {Vector()} WHERE \"Id\" IN ({Key()}, {Key()})",
                4 => $"INSERT INTO \"Cards\" (\"Id\", \"Title\", \"Embedding\") VALUES ({Key()}, {Text("t")}, {Vector()}) ON CONFLICT DO UPDATE SET \"Embedding\" = excluded.\"Embedding\", \"Slug\" = {Text("s")}",
                _ => $"DELETE FROM \"Cards\" WHERE \"Id\" = {Key()}",
            };
            try
            {
                Exec(db, sql);
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19)
            {
                failures++;
            }

            AssertInSync(db, sql);
        }

        // Both kinds of outcome were exercised.
        Assert.InRange(failures, 1, 399);
        AssertKnnExact(db, [1, 2, 3]);
    }

    [Fact]
    public void EF_writes_bulk_operations_and_raw_SQL_keep_the_index_in_step()
    {
        using var db = Create();
        db.Cards.AddRange(
            new Card { Id = 1, Title = "a", Embedding = [1, 0, 0] },
            new Card { Id = 2, Title = "b", Embedding = [2, 0, 0] },
            new Card { Id = 3, Title = "c" });
        db.SaveChanges();
        AssertInSync(db, "SaveChanges (add)");

        var one = db.Cards.Single(c => c.Id == 1);
        one.Embedding = null;
        db.Cards.Single(c => c.Id == 3).Embedding = [3, 0, 0];
        db.Cards.Remove(db.Cards.Single(c => c.Id == 2));
        db.SaveChanges();
        AssertInSync(db, "SaveChanges (modify, remove)");

        db.Cards.Where(c => c.Id == 1).ExecuteUpdate(s => s.SetProperty(c => c.Embedding, new float[] { 1, 1, 1 }));
        AssertInSync(db, "ExecuteUpdate");
        db.Database.ExecuteSql($"INSERT OR REPLACE INTO \"Cards\" (\"Id\", \"Title\") VALUES (10, {"c"})");
        AssertInSync(db, "raw INSERT OR REPLACE through Title");
        db.ChangeTracker.Clear();
        Assert.DoesNotContain(3L, db.Cards.OrderBy(c => EF.Functions.VectorDistance(c.Embedding, new float[] { 3, 0, 0 })).Take(5).Select(c => c.Id).ToList());
        db.Cards.Where(c => c.Title == "a").ExecuteDelete();
        AssertInSync(db, "ExecuteDelete");
        Assert.Empty(db.Cards.OrderBy(c => EF.Functions.VectorDistance(c.Embedding, new float[] { 1, 1, 1 })).Take(5).ToList());
    }
}
