namespace DiskAnn.Filters;

/// <summary>
/// A filter column of a diskann table, declared among its options (<c>lang TEXT</c>, <c>tenant_id INTEGER PARTITION KEY</c>):
/// stored beside each row's vector and evaluated during the graph search, so a filtered query still returns k rows.
/// </summary>
internal sealed record FilterColumn(string Name, FilterType Type, bool PartitionKey)
{
    /// <summary>The declaration as CREATE takes it and the config stores it, in one canonical spelling.</summary>
    public string Declaration => $"{Name} {FilterTypes.Name(Type)}{(PartitionKey ? " PARTITION KEY" : "")}";

    /// <summary>The declarations of a table's filter columns, as the config key <c>columns</c> holds them.</summary>
    public static string Declarations(IReadOnlyList<FilterColumn> columns) => string.Join(", ", columns.Select(c => c.Declaration));
}
