using Microsoft.EntityFrameworkCore.Infrastructure;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>Turns the <c>diskann</c> plugin on for a SQLite <c>DbContext</c>.</summary>
public static class DiskAnnSqliteDbContextOptionsBuilderExtensions
{
    /// <summary>
    /// Uses the <c>diskann</c> vector index: every connection the context uses loads the module and the
    /// <c>vector_distance_*</c> functions; <c>HasDiskAnnIndex</c>, migrations and <c>EF.Functions.VectorDistance</c> work.
    /// </summary>
    /// <example><code>optionsBuilder.UseSqlite("Data Source=app.db", o =&gt; o.UseDiskAnn());</code></example>
    public static SqliteDbContextOptionsBuilder UseDiskAnn(this SqliteDbContextOptionsBuilder optionsBuilder)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        AddExtension(((IRelationalDbContextOptionsBuilderInfrastructure)optionsBuilder).OptionsBuilder);
        return optionsBuilder;
    }

    /// <summary>
    /// Uses the <c>diskann</c> vector index; call it after <c>UseSqlite(...)</c>.
    /// </summary>
    /// <example><code>optionsBuilder.UseSqlite("Data Source=app.db").UseDiskAnn();</code></example>
    public static DbContextOptionsBuilder UseDiskAnn(this DbContextOptionsBuilder optionsBuilder)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        AddExtension(optionsBuilder);
        return optionsBuilder;
    }

    /// <summary>
    /// Uses the <c>diskann</c> vector index; call it after <c>UseSqlite(...)</c>.
    /// </summary>
    public static DbContextOptionsBuilder<TContext> UseDiskAnn<TContext>(this DbContextOptionsBuilder<TContext> optionsBuilder)
        where TContext : DbContext
        => (DbContextOptionsBuilder<TContext>)UseDiskAnn((DbContextOptionsBuilder)optionsBuilder);

    private static void AddExtension(DbContextOptionsBuilder optionsBuilder)
    {
        var extension = optionsBuilder.Options.FindExtension<DiskAnnOptionsExtension>() ?? new DiskAnnOptionsExtension();
        ((IDbContextOptionsBuilderInfrastructure)optionsBuilder).AddOrUpdateExtension(extension);
    }
}
