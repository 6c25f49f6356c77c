using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Microsoft.EntityFrameworkCore.Metadata;

/// <summary>
/// Keeps the <c>diskann</c> annotations on drop operations: a dropped <c>diskann</c> index, and a dropped table that had
/// one, must drop the virtual table too; a dropped index also names its column, so that a drop and create that differ
/// only in the triggers keep the index.
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
    {
        foreach (var annotation in base.ForRemove(index))
        {
            yield return annotation;
        }

        var diskAnn = false;
        foreach (var annotation in index.GetAnnotations())
        {
            if (annotation.Name.StartsWith(DiskAnnAnnotationNames.Prefix, StringComparison.Ordinal))
            {
                diskAnn = true;
                yield return annotation;
            }
        }

        if (diskAnn && index.Columns is [var column])
        {
            yield return new Annotation(DiskAnnAnnotationNames.Column, column.Name);
        }
    }

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
