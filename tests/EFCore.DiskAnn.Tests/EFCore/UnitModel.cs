using DiskAnn;
using Microsoft.EntityFrameworkCore;

namespace EFCore.DiskAnn.Tests.EFCore;

public class Page
{
    public int Id { get; set; }
    public string Title { get; set; } = "";
    public float[] Embedding { get; set; } = [];
}

/// <summary>A model for tests that never open a connection (SQL generation only).</summary>
public class PagesContext(Action<ModelBuilder>? configure = null) : DbContext
{
    public DbSet<Page> Pages => Set<Page>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
        => optionsBuilder
            .UseSqlite("Data Source=unit-tests-never-opened.db", o => o.UseDiskAnn())
            .ReplaceService<Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory, NoModelCacheKeyFactory>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        if (configure is not null)
        {
            configure(modelBuilder);
            return;
        }

        modelBuilder.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, 8).HasMetric(DiskAnnMetric.Dot).HasAlpha(1.3);
    }
}

/// <summary>A context that declares a diskann index but forgot <c>UseDiskAnn()</c>.</summary>
public class NoPluginPagesContext : DbContext
{
    public DbSet<Page> Pages => Set<Page>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
        => optionsBuilder
            .UseSqlite("Data Source=unit-tests-never-opened.db")
            .ReplaceService<Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory, NoModelCacheKeyFactory>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, 8);
}

/// <summary>Builds a model per context instance, so each test can configure its own.</summary>
public sealed class NoModelCacheKeyFactory : Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) => (context, designTime);
}
