namespace Microsoft.EntityFrameworkCore.Metadata;

/// <summary>
/// Names of the annotations that describe a <c>diskann</c> index. They sit on the EF Core index (and so on the
/// relational model and on migration operations); their values are strings and numbers, so they read well in migrations.
/// </summary>
public static class DiskAnnAnnotationNames
{
    /// <summary>The prefix of every annotation of this plugin.</summary>
    public const string Prefix = "DiskAnn:";

    /// <summary>The vector dimension (int). Its presence marks an index as a <c>diskann</c> index.</summary>
    public const string Dimension = Prefix + "Dimension";

    /// <summary>The metric (string: <c>cosine</c>, <c>l2</c> or <c>dot</c>).</summary>
    public const string Metric = Prefix + "Metric";

    /// <summary>The graph's maximum out-degree R (int), the module's <c>max_degree</c>.</summary>
    public const string MaxDegree = Prefix + "MaxDegree";

    /// <summary>The search list size L used while inserting (int), the module's <c>build_search_list_size</c>.</summary>
    public const string BuildSearchListSize = Prefix + "BuildSearchListSize";

    /// <summary>The pruning parameter alpha (double), the module's <c>alpha</c>.</summary>
    public const string Alpha = Prefix + "Alpha";

    /// <summary>The default search list size L for queries (int), the module's <c>search_list_size</c>.</summary>
    public const string SearchListSize = Prefix + "SearchListSize";

    /// <summary>The vector storage (string: <c>none</c> or <c>int8</c>), the module's <c>quantization</c>; absent for <c>none</c>.</summary>
    public const string Quantization = Prefix + "Quantization";

    /// <summary>The vector cache budget in MiB (int) of the process's shared image of the index, the module's <c>cache_size_mb</c>.</summary>
    public const string CacheSizeMb = Prefix + "CacheSizeMb";

    /// <summary>
    /// On the model's index: the names of the properties the index includes as filter columns (string[]), in order
    /// (<c>IncludeProperties</c>).
    /// </summary>
    public const string IncludeProperties = Prefix + "IncludeProperties";

    /// <summary>On the model's index: the name of the property that is the index's PARTITION KEY (string, <c>HasPartitionKey</c>).</summary>
    public const string PartitionKey = Prefix + "PartitionKey";

    /// <summary>
    /// The filter columns of the index (string, <see cref="DiskAnnFilterColumn.Format" />'s text, for example
    /// <c>"Lang" TEXT, "TenantId" INTEGER PARTITION KEY</c>): computed from <see cref="IncludeProperties" /> and
    /// <see cref="PartitionKey" /> and the entity table's columns, so that migrations are self-contained; absent when
    /// there are none.
    /// </summary>
    public const string FilterColumns = Prefix + "FilterColumns";

    /// <summary>
    /// The entity table's key column whose value is the rowid in the index (string); by default the single primary key
    /// column. Kept on the index so that migrations are self-contained.
    /// </summary>
    public const string KeyColumn = Prefix + "KeyColumn";

    /// <summary>
    /// <see langword="true" /> when the key column is not an integer (a Guid, a string, a value converted to TEXT): the
    /// index's rowids are then the ids of the key map <c>{index}_keys</c>, which the triggers keep (see
    /// <see cref="Migrations.DiskAnnSchemaSql" />); absent for an integer key, which is the rowid itself. Computed from the
    /// table, like <see cref="KeyColumn" />: a key that changes type rebuilds the index.
    /// </summary>
    public const string KeyMap = Prefix + "KeyMap";

    /// <summary>
    /// The version of the trigger SQL the index was created with (int; absent means 1). <c>HasDiskAnnIndex</c> stores the
    /// current <see cref="Migrations.DiskAnnSchemaSql.TriggerVersion" />, so that a model snapshot written with older
    /// triggers differs from the model and <c>dotnet ef migrations add</c> scaffolds their replacement.
    /// </summary>
    public const string Triggers = Prefix + "Triggers";

    /// <summary>
    /// The entity table's UNIQUE constraints other than the key (unique indexes, alternate keys), whose REPLACE conflicts
    /// the triggers handle (string, see <see cref="DiskAnnUniqueKeys" />); absent when there are none. Computed from the
    /// table, like <see cref="KeyColumn" />: adding or removing a unique index re-creates the triggers.
    /// </summary>
    public const string UniqueKeys = Prefix + "UniqueKeys";

    /// <summary>
    /// On a <c>CreateIndexOperation</c> (bool): replace the triggers of an existing <c>diskann</c> index and repair what
    /// older triggers let drift, without rebuilding it (<c>migrationBuilder.RecreateDiskAnnTriggers</c>).
    /// </summary>
    public const string TriggersOnly = Prefix + "TriggersOnly";

    /// <summary>
    /// On a <c>DropIndexOperation</c> of a <c>diskann</c> index: its vector column (string). A drop and a create of the
    /// same index, column and options only replace the triggers.
    /// </summary>
    public const string Column = Prefix + "Column";

    /// <summary>Marks a migration operation as being about a <c>diskann</c> index (bool), for hand-written drops.</summary>
    public const string Index = Prefix + "Index";

    /// <summary>
    /// On a <c>DropTableOperation</c>: the names of the <c>diskann</c> virtual tables that index the dropped table,
    /// separated by <c>;</c>, so that they are dropped with it.
    /// </summary>
    public const string VirtualTables = Prefix + "VirtualTables";
}
