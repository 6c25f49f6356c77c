using DiskAnn;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace FunctionalTests.EFCore;

public class Passage
{
    public int Id { get; set; }
    public float[] Embedding { get; set; } = [];
}

/// <summary>The storage options of the passages' cosine index, one model per value.</summary>
public enum PassageIndex
{
    /// <summary>float32, no option declared.</summary>
    Float32,

    /// <summary><c>HasQuantization(DiskAnnQuantization.Int8)</c>.</summary>
    Int8,

    /// <summary>float32 with <c>HasCacheSize(1)</c>.</summary>
    Float32Cached,
}

/// <summary>Passages with a cosine index whose storage options vary by <see cref="PassageIndex" />.</summary>
public class PassagesContext(string connectionString, PassageIndex kind, SqlCapture capture) : DbContext
{
    public const int Dimension = 32;

    public PassageIndex Kind => kind;

    public DbSet<Passage> Passages => Set<Passage>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
        => optionsBuilder
            .UseSqlite(connectionString, o => o.UseDiskAnn())
            .AddInterceptors(capture)
            .ReplaceService<IModelCacheKeyFactory, KindModelCacheKeyFactory>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var index = modelBuilder.Entity<Passage>().HasDiskAnnIndex(p => p.Embedding, Dimension);
        if (kind == PassageIndex.Int8)
        {
            index.HasQuantization(DiskAnnQuantization.Int8);
        }
        else if (kind == PassageIndex.Float32Cached)
        {
            index.HasCacheSize(1);
        }
    }

    private sealed class KindModelCacheKeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), ((PassagesContext)context).Kind, designTime);
    }
}
