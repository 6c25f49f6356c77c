using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Microsoft.EntityFrameworkCore.Metadata.Conventions;

/// <summary>Adds <see cref="DiskAnnIndexConvention" /> to the model's conventions.</summary>
public class DiskAnnConventionSetPlugin : IConventionSetPlugin
{
    private readonly IRelationalTypeMappingSource? _typeMappingSource;

    /// <summary>Creates the plugin.</summary>
    /// <param name="typeMappingSource">The store types of included properties are checked with it.</param>
    public DiskAnnConventionSetPlugin(IRelationalTypeMappingSource? typeMappingSource = null)
        => _typeMappingSource = typeMappingSource;

    /// <inheritdoc />
    public virtual ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        conventionSet.Add(new DiskAnnIndexConvention(_typeMappingSource));
        return conventionSet;
    }
}
