using DiskAnn;
using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

/// <summary>What every keyed entity of <see cref="KeysContext" /> has besides its key: a unique title and slug, a vector.</summary>
public interface IKeyedDoc
{
    string Title { get; set; }
    string? Slug { get; set; }
    float[]? Embedding { get; set; }
}

public class GuidDoc : IKeyedDoc
{
    public Guid Id { get; set; }
    public string Title { get; set; } = "";
    public string? Slug { get; set; }
    public float[]? Embedding { get; set; }
}

public class StringDoc : IKeyedDoc
{
    public string Id { get; set; } = "";
    public string Title { get; set; } = "";
    public string? Slug { get; set; }
    public float[]? Embedding { get; set; }
}

public class ShortDoc : IKeyedDoc
{
    public short Id { get; set; }
    public string Title { get; set; } = "";
    public string? Slug { get; set; }
    public float[]? Embedding { get; set; }
}

/// <summary>A strongly-typed id stored as an INTEGER.</summary>
public readonly record struct SkuId(long Value);

/// <summary>A strongly-typed id stored as a Guid (TEXT).</summary>
public readonly record struct TicketId(Guid Value);

/// <summary>A strongly-typed id stored as a string.</summary>
public readonly record struct Handle(string Value);

public class SkuDoc : IKeyedDoc
{
    public SkuId Id { get; set; }
    public string Title { get; set; } = "";
    public string? Slug { get; set; }
    public float[]? Embedding { get; set; }
}

public class TicketDoc : IKeyedDoc
{
    public TicketId Id { get; set; }
    public string Title { get; set; } = "";
    public string? Slug { get; set; }
    public float[]? Embedding { get; set; }
}

public class HandleDoc : IKeyedDoc
{
    public Handle Id { get; set; }
    public string Title { get; set; } = "";
    public string? Slug { get; set; }
    public float[]? Embedding { get; set; }
}

/// <summary>
/// One entity per key type (Guid, string, short, and ids converted to long, Guid and string), each with a unique slug (so
/// a REPLACE can delete another row) and an L2 index of <see cref="Dimension" /> floats.
/// </summary>
public class KeysContext(string connectionString, SqlCapture? capture = null) : DbContext
{
    public const int Dimension = 4;

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
    {
        optionsBuilder.UseSqlite(connectionString, o => o.UseDiskAnn());
        if (capture is not null)
        {
            optionsBuilder.AddInterceptors(capture);
        }
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<SkuDoc>().Property(d => d.Id).HasConversion(v => v.Value, v => new SkuId(v)).ValueGeneratedNever();
        modelBuilder.Entity<TicketDoc>().Property(d => d.Id).HasConversion(v => v.Value, v => new TicketId(v)).ValueGeneratedNever();
        modelBuilder.Entity<HandleDoc>().Property(d => d.Id).HasConversion(v => v.Value, v => new Handle(v)).ValueGeneratedNever();
        modelBuilder.Entity<ShortDoc>().Property(d => d.Id).ValueGeneratedNever();
        Configure<GuidDoc>(modelBuilder);
        Configure<StringDoc>(modelBuilder);
        Configure<ShortDoc>(modelBuilder);
        Configure<SkuDoc>(modelBuilder);
        Configure<TicketDoc>(modelBuilder);
        Configure<HandleDoc>(modelBuilder);
    }

    private static void Configure<T>(ModelBuilder modelBuilder)
        where T : class, IKeyedDoc
    {
        var entity = modelBuilder.Entity<T>();
        entity.HasIndex(d => d.Slug).IsUnique();
        entity.HasDiskAnnIndex(d => d.Embedding, Dimension).HasMetric(DiskAnnMetric.L2).HasSearchListSize(100);
    }
}
