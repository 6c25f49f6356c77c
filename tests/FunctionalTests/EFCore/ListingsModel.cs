using DiskAnn;
using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

public class Listing
{
    public int Id { get; set; }
    public string Title { get; set; } = "";
    public string? Lang { get; set; }
    public double Price { get; set; }
    public decimal Fee { get; set; }
    public DateTime Published { get; set; }
    public bool InStock { get; set; }
    public int TenantId { get; set; }
    public float[]? Embedding { get; set; }
}

/// <summary>Listings indexed by L2 (4 dimensions) with included properties and a partition key (filter columns).</summary>
public class ListingsContext(DbContextOptions<ListingsContext> options) : DbContext(options)
{
    public const int Dimension = 4;

    public DbSet<Listing> Listings => Set<Listing>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.Entity<Listing>()
            .HasDiskAnnIndex(l => l.Embedding, Dimension)
            .HasMetric(DiskAnnMetric.L2)
            .HasSearchListSize(100)
            .IncludeProperties(l => new { l.Lang, l.Price, l.Fee, l.Published, l.InStock })
            .HasPartitionKey(l => l.TenantId);

    public static DbContextOptions<ListingsContext> Options(string connectionString, SqlCapture? capture = null)
        => EfTestDatabase.Options<ListingsContext>(connectionString, capture);
}

public static class ListingsData
{
    public const int Count = 300;

    public static readonly string?[] Langs = ["en", "de", "fr", null];

    /// <summary>Creates the schema with EnsureCreated and adds 300 listings over 3 tenants, a quarter without a language.</summary>
    public static void Seed(ListingsContext db)
    {
        db.Database.EnsureCreated();
        var random = new Random(7);
        for (var i = 1; i <= Count; i++)
        {
            db.Listings.Add(new Listing
            {
                Title = "listing " + i,
                Lang = Langs[i % 4],
                Price = Math.Round(random.NextDouble() * 100, 2),
                Fee = i % 10 + 0.5m,
                Published = new DateTime(2025, 1, 1).AddDays(i),
                InStock = i % 3 != 0,
                TenantId = i % 3 + 1,
                Embedding = i % 50 == 0 ? null : [.. Enumerable.Range(0, ListingsContext.Dimension).Select(_ => (float)(random.NextDouble() * 2 - 1))],
            });
        }

        db.SaveChanges();
    }
}
