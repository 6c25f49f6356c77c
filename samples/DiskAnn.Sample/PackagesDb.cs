using DiskAnn;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace DiskAnn.Sample;

/// <summary>A Debian package, with the embedding of its description.</summary>
public class Package
{
    /// <summary>The package's id in the debian-minilm data set (1-based line of texts.tsv).</summary>
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    /// <summary>all-MiniLM-L6-v2 embedding of <see cref="Description"/>: 384 floats, unit length.</summary>
    public float[] Embedding { get; set; } = [];
}

public class PackagesDb(string path) : DbContext
{
    public DbSet<Package> Packages => Set<Package>();

    public string Path { get; } = path;

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
        => optionsBuilder.UseSqlite($"Data Source={Path}").UseDiskAnn();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var package = modelBuilder.Entity<Package>();
        package.Property(p => p.Id).ValueGeneratedNever();
        package.HasIndex(p => p.Name).IsUnique();
        package.HasDiskAnnIndex(p => p.Embedding, Embedder.Dimension).HasMetric(DiskAnnMetric.Cosine);
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> create the context; the path is not opened.</summary>
public class PackagesDbDesignTimeFactory : IDesignTimeDbContextFactory<PackagesDb>
{
    public PackagesDb CreateDbContext(string[] args) => new("packages.db");
}
