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

    /// <summary>
    /// The properties this <c>diskann</c> index keeps as filter columns, in the order of its columns: the included
    /// properties, then the partition key (when it is not one of them); <c>PartitionKey</c> marks the partition key.
    /// </summary>
    public static IReadOnlyList<(string Name, bool PartitionKey)> GetDiskAnnFilterProperties(this IReadOnlyIndex index)
    {
        var included = index.FindAnnotation(DiskAnnAnnotationNames.IncludeProperties)?.Value switch
        {
            string[] names => names,
            IEnumerable<string> names => names.ToArray(),
            string name => [name],
            _ => [],
        };
        var partitionKey = index.FindAnnotation(DiskAnnAnnotationNames.PartitionKey)?.Value as string;
        var properties = included.Select(name => (name, name == partitionKey)).ToList();
        if (partitionKey is not null && !included.Contains(partitionKey, StringComparer.Ordinal))
        {
            properties.Add((partitionKey, true));
        }

        return properties;
    }

    /// <summary>The options of this <c>diskann</c> index of the relational model, or <see langword="null" /> for any other index.</summary>
    public static DiskAnnIndexOptions? GetDiskAnnOptions(this ITableIndex index)
        => DiskAnnIndexOptions.FromAnnotations(index);
}
