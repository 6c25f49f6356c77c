using DiskAnn;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace FunctionalTests.EFCore;

public class Article
{
    public int Id { get; set; }
    public string? Title { get; set; }
    public string? Category { get; set; }
    public float[]? Embedding { get; set; }
}

/// <summary>Successive versions of one model, for migrations between them.</summary>
public abstract class ArticlesContextBase(string connectionString) : DbContext
{
    public DbSet<Article> Articles => Set<Article>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
        => optionsBuilder.UseSqlite(connectionString, o => o.UseDiskAnn());
}

/// <summary>V1: cosine index on Embedding; Category not mapped.</summary>
public class ArticlesV1(string connectionString) : ArticlesContextBase(connectionString)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Article>().Ignore(a => a.Category);
        modelBuilder.Entity<Article>().HasDiskAnnIndex(a => a.Embedding, 3);
    }
}

/// <summary>V1 with only a column change that SQLite must rebuild the table for (Title becomes required).</summary>
public class ArticlesV1Rebuilt(string connectionString) : ArticlesContextBase(connectionString)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Article>().Ignore(a => a.Category);
        modelBuilder.Entity<Article>().Property(a => a.Title).IsRequired().HasDefaultValue("");
        modelBuilder.Entity<Article>().HasDiskAnnIndex(a => a.Embedding, 3);
    }
}

/// <summary>V2: the index becomes L2 with graph options, Category is added, Title is altered (table rebuild).</summary>
public class ArticlesV2(string connectionString) : ArticlesContextBase(connectionString)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Article>().Property(a => a.Title).IsRequired().HasDefaultValue("");
        modelBuilder.Entity<Article>().HasDiskAnnIndex(a => a.Embedding, 3)
            .HasMetric(DiskAnnMetric.L2)
            .HasMaxDegree(16)
            .HasSearchListSize(50);
    }
}

/// <summary>V3: the table is renamed (so is the index, by convention).</summary>
public class ArticlesV3(string connectionString) : ArticlesContextBase(connectionString)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Article>().ToTable("Papers");
        modelBuilder.Entity<Article>().Property(a => a.Title).IsRequired().HasDefaultValue("");
        modelBuilder.Entity<Article>().HasDiskAnnIndex(a => a.Embedding, 3)
            .HasMetric(DiskAnnMetric.L2)
            .HasMaxDegree(16)
            .HasSearchListSize(50);
    }
}

public class Item
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public float[]? Vector { get; set; }
}

/// <summary>A context whose migrations are written by hand with the MigrationBuilder extensions.</summary>
public class HandWrittenContext(string connectionString) : DbContext
{
    public DbSet<Item> Items => Set<Item>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
        => optionsBuilder.UseSqlite(connectionString, o => o.UseDiskAnn());

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.Entity<Item>().HasDiskAnnIndex(i => i.Vector, 3).HasMetric(DiskAnnMetric.L2).HasDatabaseName("items_idx");
}

[DbContext(typeof(HandWrittenContext))]
[Migration("20260101000000_Items")]
public class HandWrittenItemsMigration : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Items",
            columns: table => new
            {
                Id = table.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                Name = table.Column<string>(type: "TEXT", nullable: false),
                Vector = table.Column<byte[]>(type: "BLOB", nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_Items", x => x.Id));
        migrationBuilder.CreateDiskAnnIndex("items_idx", "Items", "Vector", dimension: 3, metric: DiskAnnMetric.L2, maxDegree: 8);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropDiskAnnIndex("items_idx", "Items");
        migrationBuilder.DropTable("Items");
    }
}
