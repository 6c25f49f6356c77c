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

    /// <summary>The vector cache budget per connection in MiB (int), the module's <c>cache_size_mb</c>.</summary>
    public const string CacheSizeMb = Prefix + "CacheSizeMb";

    /// <summary>
    /// The entity table's key column whose value is the rowid in the index (string); by default the single primary key
    /// column. Kept on the index so that migrations are self-contained.
    /// </summary>
    public const string KeyColumn = Prefix + "KeyColumn";

    /// <summary>Marks a migration operation as being about a <c>diskann</c> index (bool), for hand-written drops.</summary>
    public const string Index = Prefix + "Index";

    /// <summary>
    /// On a <c>DropTableOperation</c>: the names of the <c>diskann</c> virtual tables that index the dropped table,
    /// separated by <c>;</c>, so that they are dropped with it.
    /// </summary>
    public const string VirtualTables = Prefix + "VirtualTables";
}
