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
    /// <example><code>optionsBuilder.UseSqlite("Data Source=app.db", o =&gt; o.UseDiskAnn(d =&gt; d.SearchListSize(100)));</code></example>
    /// <param name="optionsBuilder">The SQLite options.</param>
    /// <param name="diskAnnOptionsAction">Sets the plugin's options, such as the context's search list size; optional.</param>
    public static SqliteDbContextOptionsBuilder UseDiskAnn(
        this SqliteDbContextOptionsBuilder optionsBuilder,
        Action<DiskAnnDbContextOptionsBuilder>? diskAnnOptionsAction = null)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        AddExtension(((IRelationalDbContextOptionsBuilderInfrastructure)optionsBuilder).OptionsBuilder, diskAnnOptionsAction);
        return optionsBuilder;
    }

    /// <summary>
    /// Uses the <c>diskann</c> vector index; call it after <c>UseSqlite(...)</c>.
    /// </summary>
    /// <example><code>optionsBuilder.UseSqlite("Data Source=app.db").UseDiskAnn();</code></example>
    /// <param name="optionsBuilder">The context's options.</param>
    /// <param name="diskAnnOptionsAction">Sets the plugin's options, such as the context's search list size; optional.</param>
    public static DbContextOptionsBuilder UseDiskAnn(
        this DbContextOptionsBuilder optionsBuilder,
        Action<DiskAnnDbContextOptionsBuilder>? diskAnnOptionsAction = null)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        AddExtension(optionsBuilder, diskAnnOptionsAction);
        return optionsBuilder;
    }

    /// <summary>
    /// Uses the <c>diskann</c> vector index; call it after <c>UseSqlite(...)</c>.
    /// </summary>
    /// <typeparam name="TContext">The context type.</typeparam>
    /// <param name="optionsBuilder">The context's options.</param>
    /// <param name="diskAnnOptionsAction">Sets the plugin's options, such as the context's search list size; optional.</param>
    public static DbContextOptionsBuilder<TContext> UseDiskAnn<TContext>(
        this DbContextOptionsBuilder<TContext> optionsBuilder,
        Action<DiskAnnDbContextOptionsBuilder>? diskAnnOptionsAction = null)
        where TContext : DbContext
        => (DbContextOptionsBuilder<TContext>)UseDiskAnn((DbContextOptionsBuilder)optionsBuilder, diskAnnOptionsAction);

    private static void AddExtension(DbContextOptionsBuilder optionsBuilder, Action<DiskAnnDbContextOptionsBuilder>? diskAnnOptionsAction)
    {
        var extension = optionsBuilder.Options.FindExtension<DiskAnnOptionsExtension>() ?? new DiskAnnOptionsExtension();
        ((IDbContextOptionsBuilderInfrastructure)optionsBuilder).AddOrUpdateExtension(extension);
        diskAnnOptionsAction?.Invoke(new DiskAnnDbContextOptionsBuilder(optionsBuilder));
    }
}
