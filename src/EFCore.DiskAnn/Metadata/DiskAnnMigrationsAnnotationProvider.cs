using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Microsoft.EntityFrameworkCore.Metadata;

/// <summary>
/// Keeps the <c>diskann</c> annotations on drop operations: a dropped <c>diskann</c> index, and a dropped table that had
/// one, must drop the virtual table too.
/// </summary>
public class DiskAnnMigrationsAnnotationProvider : MigrationsAnnotationProvider
{
    /// <summary>Creates the provider.</summary>
    public DiskAnnMigrationsAnnotationProvider(MigrationsAnnotationProviderDependencies dependencies)
        : base(dependencies)
    {
    }

    /// <inheritdoc />
    public override IEnumerable<IAnnotation> ForRemove(ITableIndex index)
        => base.ForRemove(index).Concat(
            index.GetAnnotations().Where(a => a.Name.StartsWith(DiskAnnAnnotationNames.Prefix, StringComparison.Ordinal)));

    /// <inheritdoc />
    public override IEnumerable<IAnnotation> ForRemove(ITable table)
    {
        foreach (var annotation in base.ForRemove(table))
        {
            yield return annotation;
        }

        var virtualTables = table.Indexes.Where(i => i.GetDiskAnnOptions() is not null).Select(i => i.Name).ToList();
        if (virtualTables.Count > 0)
        {
            yield return new Annotation(DiskAnnAnnotationNames.VirtualTables, string.Join(";", virtualTables));
        }
    }
}
