using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;

namespace Microsoft.EntityFrameworkCore.Metadata.Conventions;

/// <summary>Adds <see cref="DiskAnnIndexConvention" /> to the model's conventions.</summary>
public class DiskAnnConventionSetPlugin : IConventionSetPlugin
{
    /// <inheritdoc />
    public virtual ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        conventionSet.Add(new DiskAnnIndexConvention());
        return conventionSet;
    }
}
