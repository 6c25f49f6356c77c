using Microsoft.EntityFrameworkCore.Metadata;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>Reads the <c>diskann</c> configuration of indexes.</summary>
public static class DiskAnnIndexExtensions
{
    /// <summary>Whether this EF Core index is a <c>diskann</c> index.</summary>
    public static bool IsDiskAnnIndex(this IReadOnlyIndex index)
        => index.FindAnnotation(DiskAnnAnnotationNames.Dimension) is not null;

    /// <summary>The options of this <c>diskann</c> index, or <see langword="null" /> for any other index.</summary>
    public static DiskAnnIndexOptions? GetDiskAnnOptions(this IReadOnlyIndex index)
        => DiskAnnIndexOptions.FromAnnotations(index);

    /// <summary>The options of this <c>diskann</c> index of the relational model, or <see langword="null" /> for any other index.</summary>
    public static DiskAnnIndexOptions? GetDiskAnnOptions(this ITableIndex index)
        => DiskAnnIndexOptions.FromAnnotations(index);
}
