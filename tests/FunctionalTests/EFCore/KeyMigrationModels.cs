using DiskAnn;
using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

public class GuidArticle
{
    public Guid Id { get; set; }
    public string Title { get; set; } = "";
    public string? Slug { get; set; }
    public float[]? Embedding { get; set; }
}

public class CodedArticle
{
    public Handle Code { get; set; }
    public string Title { get; set; } = "";
    public string? Slug { get; set; }
    public float[]? Embedding { get; set; }
}

/// <summary>
/// Successive versions of a model with a Guid key and a key converted to a string: 0 without an index, 1 with an L2 index,
/// 2 with a unique slug as well (only the triggers change), 3 with other index options (a rebuild), 4 without the index again,
/// 5 version 1 with a required slug (SQLite rebuilds the tables).
/// </summary>
public class KeyedArticlesContext(string connectionString, int version) : VariantContext(connectionString)
{
    public override object Variant => version;

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<CodedArticle>().HasKey(a => a.Code);
        modelBuilder.Entity<CodedArticle>().Property(a => a.Code).HasConversion(c => c.Value, v => new Handle(v));
        var guid = modelBuilder.Entity<GuidArticle>();
        var coded = modelBuilder.Entity<CodedArticle>();
        if (version >= 2)
        {
            guid.HasIndex(a => a.Slug).IsUnique();
            coded.HasIndex(a => a.Slug).IsUnique();
        }

        if (version == 5)
        {
            guid.Property(a => a.Slug).IsRequired().HasDefaultValue("");
            coded.Property(a => a.Slug).IsRequired().HasDefaultValue("");
        }

        if (version is >= 1 and <= 3 or 5)
        {
            var guidIndex = guid.HasDiskAnnIndex(a => a.Embedding, 3).HasMetric(DiskAnnMetric.L2);
            var codedIndex = coded.HasDiskAnnIndex(a => a.Embedding, 3).HasMetric(DiskAnnMetric.L2);
            if (version == 3)
            {
                guidIndex.HasMaxDegree(16);
                codedIndex.HasMaxDegree(16);
            }
        }
    }
}

public class RekeyedDoc
{
    public int Id { get; set; }
    public string Title { get; set; } = "";
    public float[]? Embedding { get; set; }
}

/// <summary>An int key, stored as INTEGER (the index's rowid) or, with <paramref name="asText" />, converted to TEXT (a key map).</summary>
public class RekeyedContext(string connectionString, bool asText) : VariantContext(connectionString)
{
    public override object Variant => asText;

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var doc = modelBuilder.Entity<RekeyedDoc>();
        doc.Property(d => d.Id).ValueGeneratedNever();
        if (asText)
        {
            doc.Property(d => d.Id).HasConversion<string>();
        }

        doc.HasDiskAnnIndex(d => d.Embedding, 3).HasMetric(DiskAnnMetric.L2);
    }
}

/// <summary>A context over SQLite with the plugin whose model depends on <see cref="Variant" /> (each variant is cached apart).</summary>
public abstract class VariantContext(string connectionString) : DbContext
{
    public abstract object Variant { get; }

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
        => optionsBuilder.UseSqlite(connectionString, o => o.UseDiskAnn())
            .ReplaceService<Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory, VariantCacheKeyFactory>();

    private sealed class VariantCacheKeyFactory : Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), ((VariantContext)context).Variant, designTime);
    }
}
