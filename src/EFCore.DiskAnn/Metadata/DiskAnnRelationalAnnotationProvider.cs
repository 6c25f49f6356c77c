using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Sqlite.Metadata.Internal;

namespace Microsoft.EntityFrameworkCore.Metadata;

/// <summary>
/// Copies the <c>diskann</c> annotations of an EF Core index onto the relational model's index (adding the key column,
/// and whether it needs a key map),
/// so that the migrations differ sees them and writes them onto <c>CreateIndexOperation</c>; and the table's other
/// UNIQUE constraints, which the triggers depend on.
/// </summary>
public class DiskAnnRelationalAnnotationProvider : SqliteAnnotationProvider
{
    /// <summary>Creates the provider.</summary>
    public DiskAnnRelationalAnnotationProvider(RelationalAnnotationProviderDependencies dependencies)
        : base(dependencies)
    {
    }

    /// <inheritdoc />
    public override IEnumerable<IAnnotation> For(ITableIndex index, bool designTime)
    {
        foreach (var annotation in base.For(index, designTime))
        {
            yield return annotation;
        }

        var modelIndex = index.MappedIndexes.FirstOrDefault(i => i.IsDiskAnnIndex());
        if (modelIndex is null)
        {
            yield break;
        }

        foreach (var annotation in modelIndex.GetAnnotations())
        {
            // The included properties and the partition key reach migrations as the columns they make.
            if (annotation.Name.StartsWith(DiskAnnAnnotationNames.Prefix, StringComparison.Ordinal)
                && annotation.Name is not (DiskAnnAnnotationNames.IncludeProperties or DiskAnnAnnotationNames.PartitionKey))
            {
                yield return annotation;
            }
        }

        if (FilterColumns(index, modelIndex) is { Count: > 0 } filterColumns)
        {
            yield return new Annotation(DiskAnnAnnotationNames.FilterColumns, DiskAnnFilterColumn.Format(filterColumns));
        }

        if (index.Table.PrimaryKey is { Columns: [var keyColumn] })
        {
            yield return new Annotation(DiskAnnAnnotationNames.KeyColumn, keyColumn.Name);
            if (NeedsKeyMap(keyColumn))
            {
                yield return new Annotation(DiskAnnAnnotationNames.KeyMap, true);
            }

            if (UniqueKeys(index.Table, keyColumn) is { } uniqueKeys)
            {
                yield return new Annotation(DiskAnnAnnotationNames.UniqueKeys, uniqueKeys);
            }
        }
    }

    /// <summary>
    /// Whether the index over a table with this key column needs a key map (<see cref="DiskAnnAnnotationNames.KeyMap" />):
    /// the values the column stores are not integers, so they cannot be the index's rowids themselves.
    /// </summary>
    public static bool NeedsKeyMap(IColumn keyColumn)
        => !IsInteger(keyColumn.ProviderClrType);

    private static bool IsInteger(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(long) || type == typeof(int) || type == typeof(short) || type == typeof(byte)
            || type == typeof(uint) || type == typeof(ushort) || type == typeof(sbyte);
    }

    /// <summary>
    /// The filter columns of a <c>diskann</c> index: a column of the entity table for each included property and the
    /// partition key, with the type its store type gives (properties that are not mapped to the table are left out: the
    /// model's validation names them).
    /// </summary>
    public static IReadOnlyList<DiskAnnFilterColumn> FilterColumns(ITableIndex index, IIndex modelIndex)
    {
        // (By name: ITable.FindColumn(IProperty) would read the relational model this provider is helping to build.)
        var table = StoreObjectIdentifier.Table(index.Table.Name, index.Table.Schema);
        var columns = new List<DiskAnnFilterColumn>();
        foreach (var (name, partitionKey) in modelIndex.GetDiskAnnFilterProperties())
        {
            if (modelIndex.DeclaringEntityType.FindProperty(name)?.GetColumnName(table) is { } columnName
                && index.Table.FindColumn(columnName) is { } column
                && DiskAnnFilterColumn.TypeOf(column.StoreType, column.ProviderClrType) is { } type)
            {
                columns.Add(new DiskAnnFilterColumn(column.Name, type, partitionKey));
            }
        }

        return columns;
    }

    /// <summary>
    /// The table's UNIQUE constraints other than the key (alternate keys and unique indexes, filtered or not: the triggers
    /// only note candidates), in <see cref="DiskAnnUniqueKeys" />' text, or <see langword="null" /> when there are none.
    /// </summary>
    public static string? UniqueKeys(ITable table, IColumn keyColumn)
        => DiskAnnUniqueKeys.Format(
            table.UniqueConstraints.Select(u => u.Columns)
                .Concat(table.Indexes.Where(i => i.IsUnique).Select(i => i.Columns))
                .Where(columns => columns is not [var only] || only != keyColumn)
                .Select(columns => columns.Select(c => c.Name)));
}
