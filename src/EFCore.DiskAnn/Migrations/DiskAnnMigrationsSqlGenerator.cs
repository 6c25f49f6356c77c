using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Microsoft.EntityFrameworkCore.Migrations;

/// <summary>
/// SQLite's migrations SQL generator, plus <c>diskann</c> indexes: a <c>CreateIndexOperation</c> carrying the
/// <c>DiskAnn:</c> annotations becomes <c>CREATE VIRTUAL TABLE ... USING diskann(...)</c>, a copy of the existing vectors
/// and three triggers; its drop removes them; dropping the table drops its indexes; and after a SQLite table rebuild
/// (<c>AlterColumn</c> and friends) the triggers are created again on the new table while the index keeps its data.
/// </summary>
public class DiskAnnMigrationsSqlGenerator : SqliteMigrationsSqlGenerator
{
    private const string RebuildPrefix = "ef_temp_";

    // Names of the diskann indexes that the migration's own operations create (and so must be built and filled once).
    private readonly HashSet<string> _pendingCreates = new(StringComparer.Ordinal);

    // Names of the diskann virtual tables created so far in this batch.
    private readonly HashSet<string> _created = new(StringComparer.Ordinal);

    // Names of the diskann indexes whose drop and create differ only in their triggers: the index keeps its data.
    private readonly HashSet<string> _triggersOnly = new(StringComparer.Ordinal);

    // Names of the indexes whose triggers this batch has created.
    private readonly HashSet<string> _triggered = new(StringComparer.Ordinal);

    /// <summary>Creates the generator.</summary>
    public DiskAnnMigrationsSqlGenerator(
        MigrationsSqlGeneratorDependencies dependencies,
        IRelationalAnnotationProvider migrationsAnnotations)
        : base(dependencies, migrationsAnnotations)
        => SchemaSql = new DiskAnnSchemaSql(dependencies.SqlGenerationHelper);

    /// <summary>The SQL text of the <c>diskann</c> statements.</summary>
    protected virtual DiskAnnSchemaSql SchemaSql { get; }

    /// <summary>Whether a migration operation is about a <c>diskann</c> index.</summary>
    public static bool IsDiskAnn(MigrationOperation operation)
        => operation.GetAnnotations().Any(a => a.Name.StartsWith(DiskAnnAnnotationNames.Prefix, StringComparison.Ordinal));

    /// <inheritdoc />
    public override IReadOnlyList<MigrationCommand> Generate(
        IReadOnlyList<MigrationOperation> operations,
        IModel? model = null,
        MigrationsSqlGenerationOptions options = MigrationsSqlGenerationOptions.Default)
    {
        _pendingCreates.Clear();
        _created.Clear();
        _triggersOnly.Clear();
        _triggered.Clear();
        var keptIndexes = FindTriggerOnlyChanges(operations);
        var rewritten = new List<MigrationOperation>(operations.Count);
        foreach (var operation in operations)
        {
            switch (operation)
            {
                // Same index, same options, other triggers (a new trigger version, a unique constraint added or removed):
                // the drop is skipped and the create only replaces the triggers.
                case DropIndexOperation drop when keptIndexes.Contains(drop):
                    break;

                case CreateIndexOperation create when keptIndexes.Contains(create):
                    _triggersOnly.Add(create.Name);
                    rewritten.Add(create);
                    break;

                case CreateIndexOperation create when create.FindAnnotation(DiskAnnAnnotationNames.TriggersOnly)?.Value is true:
                    _triggersOnly.Add(create.Name);
                    rewritten.Add(create);
                    break;

                // SQLite cannot rename an index, so EF Core drops and recreates it; do the same for a diskann index, with
                // the annotations that say what to drop (the virtual table and its triggers) and what to build.
                case RenameIndexOperation rename
                    when FindIndex(model, rename.Table, rename.Schema, rename.NewName) is { } index && index.GetDiskAnnOptions() is not null:
                {
                    var drop = new DropIndexOperation { Name = rename.Name, Table = rename.Table, Schema = rename.Schema };
                    drop.AddAnnotation(DiskAnnAnnotationNames.Index, true);
                    rewritten.Add(drop);
                    var create = CreateIndexOperation.CreateFrom(index);
                    _pendingCreates.Add(create.Name);
                    rewritten.Add(create);
                    break;
                }

                case CreateIndexOperation create when IsDiskAnn(create):
                    _pendingCreates.Add(create.Name);
                    rewritten.Add(create);
                    break;

                default:
                    rewritten.Add(operation);
                    break;
            }
        }

        return base.Generate(rewritten, model, options);
    }

    /// <summary>
    /// The DropIndex/CreateIndex pairs of one <c>diskann</c> index (same name, table, column, key and module options) that
    /// differ only in what the triggers depend on: the trigger version or the table's UNIQUE constraints. The drop must
    /// name its column (<see cref="DiskAnnAnnotationNames.Column" />, which the differ writes): a drop without it, as in
    /// migrations scaffolded before, always rebuilds.
    /// </summary>
    private static HashSet<MigrationOperation> FindTriggerOnlyChanges(IReadOnlyList<MigrationOperation> operations)
    {
        var kept = new HashSet<MigrationOperation>(ReferenceEqualityComparer.Instance);
        var drops = new Dictionary<string, DropIndexOperation>(StringComparer.Ordinal);
        foreach (var operation in operations)
        {
            switch (operation)
            {
                case DropIndexOperation drop when DiskAnnIndexOptions.FromAnnotations(drop.GetAnnotations()) is not null:
                    drops[drop.Name] = drop;
                    break;

                case CreateIndexOperation create
                    when drops.Remove(create.Name, out var drop)
                    && DiskAnnIndexOptions.FromAnnotations(create.GetAnnotations()) is { } options
                    && DiskAnnIndexOptions.FromAnnotations(drop.GetAnnotations()) is { } oldOptions
                    && options.ToModuleArguments() == oldOptions.ToModuleArguments()
                    && drop.Table == create.Table
                    && drop.Schema == create.Schema
                    && drop.FindAnnotation(DiskAnnAnnotationNames.KeyColumn)?.Value as string
                        == create.FindAnnotation(DiskAnnAnnotationNames.KeyColumn)?.Value as string
                    && HasKeyMap(drop, null) == HasKeyMap(create, null)
                    && create.Columns is [var column]
                    && drop.FindAnnotation(DiskAnnAnnotationNames.Column)?.Value as string == column:
                    kept.Add(drop);
                    kept.Add(create);
                    break;
            }
        }

        return kept;
    }

    /// <inheritdoc />
    protected override void Generate(
        CreateIndexOperation operation,
        IModel? model,
        MigrationCommandListBuilder builder,
        bool terminate = true)
    {
        if (_triggersOnly.Contains(operation.Name)
            && operation.Columns is [var column]
            && !operation.Table.StartsWith(RebuildPrefix, StringComparison.Ordinal))
        {
            // The index stays; its triggers are replaced, and what older triggers let drift is repaired (once).
            var key = operation.FindAnnotation(DiskAnnAnnotationNames.KeyColumn)?.Value as string
                ?? FindKeyColumn(model, operation.Table, operation.Schema)
                ?? "rowid";
            var uniques = UniqueKeys(operation, model, key);
            var filterColumns = FilterColumns(operation, model);
            var keyMap = HasKeyMap(operation, model);
            foreach (var statement in SchemaSql.DropTriggers(operation.Name))
            {
                Statement(builder, statement);
            }

            if (_triggered.Add(operation.Name))
            {
                foreach (var statement in SchemaSql.Repair(operation.Name, operation.Table, operation.Schema, key, column, filterColumns, keyMap))
                {
                    Statement(builder, statement);
                }
            }

            foreach (var trigger in SchemaSql.CreateTriggers(operation.Name, operation.Table, operation.Schema, key, column, uniques, filterColumns, keyMap))
            {
                Statement(builder, trigger);
            }

            return;
        }

        var options = DiskAnnIndexOptions.FromAnnotations(operation.GetAnnotations());
        if (options is null)
        {
            base.Generate(operation, model, builder, terminate);
            return;
        }

        options.Validate();
        if (operation.Columns is not [var vectorColumn])
        {
            throw new InvalidOperationException($"The diskann index '{operation.Name}' must cover exactly one column.");
        }

        var table = operation.Table;
        if (table.StartsWith(RebuildPrefix, StringComparison.Ordinal))
        {
            // Never happens for non-unique indexes today; if SQLite's rebuild ever creates it on the temporary table,
            // the triggers would be dropped with the rename anyway: create it after the rename instead.
            return;
        }

        var keyColumn = operation.FindAnnotation(DiskAnnAnnotationNames.KeyColumn)?.Value as string
            ?? FindKeyColumn(model, table, operation.Schema)
            ?? "rowid";

        // Build and fill the virtual table once per migration; a second CreateIndexOperation for the same index is the
        // one SQLite's table rebuild adds after "ALTER TABLE ef_temp_X RENAME TO X": then only the triggers are missing.
        if (_pendingCreates.Contains(operation.Name) && _created.Add(operation.Name))
        {
            Statement(builder, SchemaSql.CreateVirtualTable(operation.Name, options));
            foreach (var statement in SchemaSql.Fill(operation.Name, table, operation.Schema, keyColumn, vectorColumn, options.FilterColumns, HasKeyMap(operation, model)))
            {
                Statement(builder, statement);
            }
        }
        else
        {
            // Triggers of this index may exist already (a second create of the same index in one batch).
            foreach (var statement in SchemaSql.DropTriggers(operation.Name))
            {
                Statement(builder, statement);
            }

            // The create that follows SQLite's table rebuild: the rebuilt table may store its keys otherwise (a key column
            // that changed type), and the key map must hold them as the table does.
            if (HasKeyMap(operation, model))
            {
                Statement(builder, SchemaSql.RefreshKeyMap(operation.Name, table, operation.Schema, keyColumn));
            }
        }

        _triggered.Add(operation.Name);
        foreach (var trigger in SchemaSql.CreateTriggers(
            operation.Name, table, operation.Schema, keyColumn, vectorColumn, UniqueKeys(operation, model, keyColumn), options.FilterColumns, HasKeyMap(operation, model)))
        {
            Statement(builder, trigger);
        }
    }

    /// <summary>
    /// The UNIQUE constraints the triggers must handle: the operation's annotation (the differ writes it), else the model's
    /// table (a hand-written <c>CreateDiskAnnIndex</c> applied with a model), else none.
    /// </summary>
    private static IReadOnlyList<IReadOnlyList<string>> UniqueKeys(CreateIndexOperation operation, IModel? model, string keyColumn)
    {
        if (operation.FindAnnotation(DiskAnnAnnotationNames.UniqueKeys) is { } annotation)
        {
            return DiskAnnUniqueKeys.Parse(annotation.Value as string);
        }

        return model?.GetRelationalModel().FindTable(operation.Table, operation.Schema) is { } table
            && table.FindColumn(keyColumn) is { } key
            ? DiskAnnUniqueKeys.Parse(DiskAnnRelationalAnnotationProvider.UniqueKeys(table, key))
            : [];
    }

    /// <summary>
    /// The filter columns the triggers write: the operation's (the differ writes them with the options), else the model's
    /// index of that name (a hand-written <c>RecreateDiskAnnTriggers</c> applied with a model), else none.
    /// </summary>
    private static IReadOnlyList<DiskAnnFilterColumn>? FilterColumns(CreateIndexOperation operation, IModel? model)
        => DiskAnnIndexOptions.FromAnnotations(operation.GetAnnotations()) is { } options
            ? options.FilterColumns
            : FindIndex(model, operation.Table, operation.Schema, operation.Name)?.GetDiskAnnOptions()?.FilterColumns;

    /// <inheritdoc />
    protected override void Generate(
        DropIndexOperation operation,
        IModel? model,
        MigrationCommandListBuilder builder,
        bool terminate)
    {
        if (!IsDiskAnn(operation))
        {
            base.Generate(operation, model, builder, terminate);
            return;
        }

        foreach (var statement in SchemaSql.Drop(operation.Name))
        {
            Statement(builder, statement);
        }
    }

    /// <inheritdoc />
    protected override void Generate(
        DropTableOperation operation,
        IModel? model,
        MigrationCommandListBuilder builder,
        bool terminate = true)
    {
        if (operation.FindAnnotation(DiskAnnAnnotationNames.VirtualTables)?.Value is string names)
        {
            foreach (var name in names.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                foreach (var statement in SchemaSql.Drop(name))
                {
                    Statement(builder, statement);
                }
            }
        }

        base.Generate(operation, model, builder, terminate);
    }

    /// <summary>
    /// Whether the operation's index keeps a key map (its table's key is not an integer): the operation's
    /// <see cref="DiskAnnAnnotationNames.KeyMap" /> (the differ writes it when true, <c>CreateDiskAnnIndex</c> when told),
    /// else the model's table (a hand-written operation applied with a model), else not.
    /// </summary>
    private static bool HasKeyMap(MigrationOperation operation, IModel? model)
        => operation.FindAnnotation(DiskAnnAnnotationNames.KeyMap)?.Value is { } value
            ? value is true
            : operation is CreateIndexOperation create
                && model?.GetRelationalModel().FindTable(create.Table, create.Schema)?.PrimaryKey is { Columns: [var key] }
                && key.Name == (create.FindAnnotation(DiskAnnAnnotationNames.KeyColumn)?.Value as string ?? key.Name)
                && DiskAnnRelationalAnnotationProvider.NeedsKeyMap(key);

    private void Statement(MigrationCommandListBuilder builder, string sql)
        => builder
            .Append(sql)
            .AppendLine(Dependencies.SqlGenerationHelper.StatementTerminator)
            .EndCommand();

    private static ITableIndex? FindIndex(IModel? model, string? table, string? schema, string name)
        => table is null
            ? null
            : model?.GetRelationalModel().FindTable(table, schema)?.Indexes.FirstOrDefault(i => i.Name == name);

    private static string? FindKeyColumn(IModel? model, string table, string? schema)
        => model?.GetRelationalModel().FindTable(table, schema)?.PrimaryKey is { Columns: [var key] } ? key.Name : null;
}
