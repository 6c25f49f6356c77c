using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

/// <summary>
/// Included properties and a partition key (filter columns of the index): the schema EnsureCreated makes, the triggers
/// that keep the columns in step, and the LINQ filters evaluated inside the search.
/// </summary>
public sealed partial class EfFilterColumnTests : IDisposable
{
    private readonly EfTestDatabase _database = new();
    private readonly SqlCapture _sql = new();

    public EfFilterColumnTests()
    {
        using var db = CreateContext();
        ListingsData.Seed(db);
        _sql.Clear();
    }

    public void Dispose() => _database.Dispose();

    private ListingsContext CreateContext() => new(ListingsContext.Options(_database.ConnectionString, _sql));

    /// <summary>The index row of a key, as raw SQL reads it from the virtual table's filter columns.</summary>
    private static (string? Lang, double? Price, double? Fee, string? Published, long? InStock, long? TenantId)? IndexRow(ListingsContext db, int id)
    {
        using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "SELECT \"Lang\", \"Price\", \"Fee\", \"Published\", \"InStock\", \"TenantId\" FROM \"IX_Listings_Embedding\" WHERE rowid = $id";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "$id";
        parameter.Value = id;
        command.Parameters.Add(parameter);
        db.Database.OpenConnection();
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        T? Get<T>(int i) => reader.IsDBNull(i) ? default : (T)reader.GetValue(i);
        return (Get<string>(0), reader.IsDBNull(1) ? null : reader.GetDouble(1), reader.IsDBNull(2) ? null : reader.GetDouble(2),
            Get<string>(3), reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetInt64(5));
    }

    [Fact]
    public void EnsureCreated_declares_the_columns_and_the_triggers_write_them()
    {
        using var db = CreateContext();
        Assert.Equal(
            "CREATE VIRTUAL TABLE \"IX_Listings_Embedding\" USING diskann(dimension=4, metric=l2, search_list_size=100, "
            + "\"Lang\" TEXT, \"Price\" REAL, \"Fee\" REAL, \"Published\" TEXT, \"InStock\" INTEGER, \"TenantId\" INTEGER PARTITION KEY)",
            EfMigrationTests.TableSql(db, "IX_Listings_Embedding"));
        Assert.Equal(
            """
            CREATE TRIGGER "IX_Listings_Embedding_update" AFTER UPDATE OF "Embedding", "Id", "Lang", "Price", "Fee", "Published", "InStock", "TenantId" ON "Listings"
            WHEN old."Embedding" IS NOT new."Embedding" OR old."Id" IS NOT new."Id" OR old."Lang" IS NOT new."Lang" OR old."Price" IS NOT new."Price" OR old."Fee" IS NOT new."Fee" OR old."Published" IS NOT new."Published" OR old."InStock" IS NOT new."InStock" OR old."TenantId" IS NOT new."TenantId"
            BEGIN
                DELETE FROM "IX_Listings_Embedding" WHERE rowid = old."Id" AND old."Id" IS NOT new."Id";
                DELETE FROM "IX_Listings_Embedding" WHERE rowid = new."Id" AND new."Embedding" IS NULL;
                UPDATE "IX_Listings_Embedding" SET vector = new."Embedding", "Lang" = new."Lang", "Price" = new."Price", "Fee" = new."Fee", "Published" = new."Published", "InStock" = new."InStock", "TenantId" = new."TenantId" WHERE rowid = new."Id" AND new."Embedding" IS NOT NULL;
                INSERT INTO "IX_Listings_Embedding"(rowid, vector, "Lang", "Price", "Fee", "Published", "InStock", "TenantId") SELECT new."Id", new."Embedding", new."Lang", new."Price", new."Fee", new."Published", new."InStock", new."TenantId"
                    WHERE new."Embedding" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "IX_Listings_Embedding" WHERE rowid = new."Id");
            END
            """.Replace("\r\n", "\n", StringComparison.Ordinal),
            EfMigrationTests.TableSql(db, "IX_Listings_Embedding_update")!.Replace("\r\n", "\n", StringComparison.Ordinal));

        var first = db.Listings.OrderBy(l => l.Id).First();
        Assert.Equal((first.Lang, first.Price, 1.5, "2025-01-02 00:00:00", 1L, 2L), IndexRow(db, first.Id));
        Assert.Equal(ListingsData.Count - (ListingsData.Count / 50), db.Database.SqlQuery<long>($"SELECT count(*) AS \"Value\" FROM \"IX_Listings_Embedding\" WHERE \"Lang\" IS NULL OR \"Lang\" IS NOT NULL").AsEnumerable().Single());
    }

    [Fact]
    public void Insert_update_of_only_included_properties_and_delete_keep_the_columns_in_step()
    {
        using var db = CreateContext();
        var listing = new Listing { Title = "new", Lang = "it", Price = 12.5, Fee = 3.25m, Published = new DateTime(2026, 2, 3), InStock = true, TenantId = 9, Embedding = [1, 2, 3, 4] };
        db.Listings.Add(listing);
        db.SaveChanges();
        Assert.Equal(("it", 12.5, 3.25, "2026-02-03 00:00:00", 1L, 9L), IndexRow(db, listing.Id));

        // Only included properties change: EF Core's UPDATE sets them alone, and the trigger copies them.
        listing.Lang = null;
        listing.Price = 99;
        listing.InStock = false;
        listing.TenantId = 4;
        db.SaveChanges();
        Assert.Equal((null, 99.0, 3.25, "2026-02-03 00:00:00", 0L, 4L), IndexRow(db, listing.Id));

        // A property that is not included leaves the index row alone; raw SQL is seen as well.
        listing.Title = "renamed";
        db.SaveChanges();
        db.Database.ExecuteSql($"UPDATE \"Listings\" SET \"Lang\" = 'pt' WHERE \"Id\" = {listing.Id}");
        Assert.Equal(("pt", 99.0, 3.25, "2026-02-03 00:00:00", 0L, 4L), IndexRow(db, listing.Id));

        // The vector and a column together; then no vector (out of the index), a vector again (back with its columns).
        db.Database.ExecuteSql($"UPDATE \"Listings\" SET \"Embedding\" = NULL, \"Lang\" = 'es' WHERE \"Id\" = {listing.Id}");
        Assert.Null(IndexRow(db, listing.Id));
        db.ChangeTracker.Clear();
        var reloaded = db.Listings.Single(l => l.Id == listing.Id);
        reloaded.Embedding = [4, 3, 2, 1];
        db.SaveChanges();
        Assert.Equal(("es", 99.0, 3.25, "2026-02-03 00:00:00", 0L, 4L), IndexRow(db, listing.Id));

        db.Listings.Remove(reloaded);
        db.SaveChanges();
        Assert.Null(IndexRow(db, listing.Id));
    }
}
