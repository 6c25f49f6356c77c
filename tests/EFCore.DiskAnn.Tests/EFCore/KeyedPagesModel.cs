using DiskAnn;
using Microsoft.EntityFrameworkCore;

namespace EFCore.DiskAnn.Tests.EFCore;

public class GuidPage
{
    public Guid Id { get; set; }
    public string Title { get; set; } = "";
    public float[]? Embedding { get; set; }
}

/// <summary>A strongly-typed id stored as TEXT.</summary>
public readonly record struct PageCode(string Value);

public class CodedPage
{
    public PageCode Code { get; set; }
    public string Title { get; set; } = "";
    public float[]? Embedding { get; set; }
}

/// <summary>Pages keyed by a Guid (L2) and by a strongly-typed string id (cosine), for SQL generation only.</summary>
public class KeyedPagesContext(Action<ModelBuilder>? configure = null) : DbContext
{
    public DbSet<GuidPage> GuidPages => Set<GuidPage>();
    public DbSet<CodedPage> CodedPages => Set<CodedPage>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
        => optionsBuilder
            .UseSqlite("Data Source=unit-tests-never-opened.db", o => o.UseDiskAnn())
            .ReplaceService<Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory, NoModelCacheKeyFactory>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<GuidPage>().HasDiskAnnIndex(p => p.Embedding, 2).HasMetric(DiskAnnMetric.L2);
        modelBuilder.Entity<CodedPage>().HasKey(p => p.Code);
        modelBuilder.Entity<CodedPage>().Property(p => p.Code).HasConversion(c => c.Value, v => new PageCode(v));
        modelBuilder.Entity<CodedPage>().HasIndex(p => p.Title).IsUnique();
        modelBuilder.Entity<CodedPage>().HasDiskAnnIndex(p => p.Embedding, 2);
        configure?.Invoke(modelBuilder);
    }
}
