// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore.Infrastructure;

/// <summary>
/// The options of the <c>diskann</c> plugin for one context, given to <c>UseDiskAnn(o =&gt; ...)</c>.
/// </summary>
public class DiskAnnDbContextOptionsBuilder
{
    /// <summary>Wraps the context's options builder.</summary>
    /// <param name="optionsBuilder">The context's options builder.</param>
    public DiskAnnDbContextOptionsBuilder(DbContextOptionsBuilder optionsBuilder)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        OptionsBuilder = optionsBuilder;
    }

    /// <summary>The context's options builder.</summary>
    protected virtual DbContextOptionsBuilder OptionsBuilder { get; }

    /// <summary>
    /// The search list size L of this context's index searches (<c>OrderBy(VectorDistance).Take(k)</c>) that do not give
    /// their own with <c>EF.Functions.VectorDistance(..., searchListSize: n)</c>, instead of each index's
    /// <c>search_list_size</c>. A larger L finds more of the true nearest neighbours and reads more vectors. It is sent
    /// with each search (<c>AND search_list_size = n</c>), so changing it needs no migration.
    /// </summary>
    /// <param name="searchListSize">L, from 1 to <see cref="DiskAnn.DiskAnnLimits.MaxK" />.</param>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1 to 10000.</exception>
    public virtual DiskAnnDbContextOptionsBuilder SearchListSize(int searchListSize)
    {
        var extension = (OptionsBuilder.Options.FindExtension<DiskAnnOptionsExtension>() ?? new DiskAnnOptionsExtension())
            .WithSearchListSize(searchListSize);
        ((IDbContextOptionsBuilderInfrastructure)OptionsBuilder).AddOrUpdateExtension(extension);
        return this;
    }
}
