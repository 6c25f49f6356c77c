using DiskAnn;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Migrations.Operations.Builders;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary><c>diskann</c> indexes in hand-written migrations.</summary>
public static class DiskAnnMigrationBuilderExtensions
{
    /// <summary>
    /// Creates a <c>diskann</c> virtual table named <paramref name="name" /> over the float32 BLOB column
    /// <paramref name="column" /> of <paramref name="table" />, fills it with the rows already there, and adds the triggers
    /// that keep it in step (the same SQL a generated migration runs).
    /// </summary>
    /// <param name="migrationBuilder">The migration.</param>
    /// <param name="name">The virtual table's name.</param>
    /// <param name="table">The entity table.</param>
    /// <param name="column">The vector column.</param>
    /// <param name="dimension">The number of floats in each vector.</param>
    /// <param name="metric">The distance: cosine (default), l2 or dot.</param>
    /// <param name="keyColumn">
    /// The table's primary key column: an integer key is the rowid of the index; any other is mapped to one by the key map
    /// (see <paramref name="keyMap" />).
    /// </param>
    /// <param name="maxDegree">The module's <c>max_degree</c>, or <see langword="null" /> for its default.</param>
    /// <param name="buildSearchListSize">The module's <c>build_search_list_size</c>, or <see langword="null" /> for its default.</param>
    /// <param name="alpha">The module's <c>alpha</c>, or <see langword="null" /> for its default.</param>
    /// <param name="searchListSize">The module's <c>search_list_size</c>, or <see langword="null" /> for its default.</param>
    /// <param name="quantization">The module's <c>quantization</c>: float32 vectors (the default) or int8 codes.</param>
    /// <param name="cacheSizeMb">The module's <c>cache_size_mb</c>, or <see langword="null" /> to leave it undeclared.</param>
    /// <param name="uniqueKeys">
    /// The columns of each UNIQUE constraint of the table other than the key, whose <c>REPLACE</c> conflicts the triggers
    /// must see; <see langword="null" /> to take them from the model the migration is applied with (none without one).
    /// </param>
    /// <param name="filterColumns">
    /// The index's filter columns (included properties and the partition key), each named after a column of the table,
    /// which the triggers copy; <see langword="null" /> for none.
    /// </param>
    /// <param name="keyMap">
    /// <see langword="true" /> when the key column is not an integer (a Guid, a string, ...): the triggers keep the key map
    /// <c>{name}_keys</c> that gives each key the integer the index knows its row by. <see langword="null" /> to take it
    /// from the model the migration is applied with (an integer key without one).
    /// </param>
    public static OperationBuilder<CreateIndexOperation> CreateDiskAnnIndex(
        this MigrationBuilder migrationBuilder,
        string name,
        string table,
        string column,
        int dimension,
        DiskAnnMetric metric = DiskAnnMetric.Cosine,
        string keyColumn = "Id",
        int? maxDegree = null,
        int? buildSearchListSize = null,
        double? alpha = null,
        int? searchListSize = null,
        DiskAnnQuantization quantization = DiskAnnQuantization.None,
        int? cacheSizeMb = null,
        IEnumerable<string[]>? uniqueKeys = null,
        IEnumerable<DiskAnnFilterColumn>? filterColumns = null,
        bool? keyMap = null)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyColumn);

        var columns = filterColumns?.ToList();
        var options = new DiskAnnIndexOptions(
            dimension, metric, maxDegree, buildSearchListSize, alpha, searchListSize, quantization, cacheSizeMb, columns is { Count: > 0 } ? columns : null);
        options.Validate();
        var operation = new CreateIndexOperation { Name = name, Table = table, Columns = [column] };
        foreach (var (annotation, value) in options.ToAnnotations())
        {
            operation.AddAnnotation(annotation, value);
        }

        operation.AddAnnotation(DiskAnnAnnotationNames.KeyColumn, keyColumn);
        AddKeyMap(operation, keyMap);
        AddUniqueKeys(operation, uniqueKeys);
        migrationBuilder.Operations.Add(operation);
        return new OperationBuilder<CreateIndexOperation>(operation);
    }

    /// <summary>
    /// Replaces the triggers of the existing <c>diskann</c> index <paramref name="name" /> with the current ones, and
    /// repairs what older triggers let drift (index rows of deleted rows or NULL vectors, rows missing from the index);
    /// the index keeps its graph. For databases whose migrations were written by hand: <c>dotnet ef migrations add</c>
    /// scaffolds the same change by itself when the triggers change.
    /// </summary>
    /// <param name="migrationBuilder">The migration.</param>
    /// <param name="name">The virtual table's name.</param>
    /// <param name="table">The entity table.</param>
    /// <param name="column">The vector column.</param>
    /// <param name="keyColumn">
    /// The table's primary key column: an integer key is the rowid of the index; any other is mapped to one by the key map
    /// (see <paramref name="keyMap" />).
    /// </param>
    /// <param name="uniqueKeys">
    /// The columns of each UNIQUE constraint of the table other than the key; <see langword="null" /> to take them from the
    /// model the migration is applied with (none without one).
    /// </param>
    /// <param name="keyMap">
    /// <see langword="true" /> when the key column is not an integer and the index has a key map; <see langword="null" />
    /// to take it from the model the migration is applied with (an integer key without one).
    /// </param>
    public static OperationBuilder<CreateIndexOperation> RecreateDiskAnnTriggers(
        this MigrationBuilder migrationBuilder,
        string name,
        string table,
        string column,
        string keyColumn = "Id",
        IEnumerable<string[]>? uniqueKeys = null,
        bool? keyMap = null)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyColumn);
        var operation = new CreateIndexOperation { Name = name, Table = table, Columns = [column] };
        operation.AddAnnotation(DiskAnnAnnotationNames.TriggersOnly, true);
        operation.AddAnnotation(DiskAnnAnnotationNames.KeyColumn, keyColumn);
        AddKeyMap(operation, keyMap);
        AddUniqueKeys(operation, uniqueKeys);
        migrationBuilder.Operations.Add(operation);
        return new OperationBuilder<CreateIndexOperation>(operation);
    }

    private static void AddKeyMap(CreateIndexOperation operation, bool? keyMap)
    {
        if (keyMap is { } value)
        {
            operation.AddAnnotation(DiskAnnAnnotationNames.KeyMap, value);
        }
    }

    private static void AddUniqueKeys(CreateIndexOperation operation, IEnumerable<string[]>? uniqueKeys)
    {
        if (uniqueKeys is not null)
        {
            // An empty list is written as an empty text: "none", where a missing annotation means "ask the model".
            operation.AddAnnotation(DiskAnnAnnotationNames.UniqueKeys, DiskAnnUniqueKeys.Format(uniqueKeys) ?? "");
        }
    }

    /// <summary>Drops the <c>diskann</c> virtual table <paramref name="name" />, its shadow tables and its triggers.</summary>
    /// <param name="migrationBuilder">The migration.</param>
    /// <param name="name">The virtual table's name.</param>
    /// <param name="table">The entity table (informational).</param>
    public static OperationBuilder<DropIndexOperation> DropDiskAnnIndex(
        this MigrationBuilder migrationBuilder,
        string name,
        string? table = null)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var operation = new DropIndexOperation { Name = name, Table = table };
        operation.AddAnnotation(DiskAnnAnnotationNames.Index, true);
        migrationBuilder.Operations.Add(operation);
        return new OperationBuilder<DropIndexOperation>(operation);
    }
}
