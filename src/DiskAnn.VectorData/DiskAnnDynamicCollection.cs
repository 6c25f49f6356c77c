namespace DiskAnn.VectorData;

/// <summary>
/// A collection of <c>Dictionary&lt;string, object?&gt;</c> records, described by a
/// <see cref="Microsoft.Extensions.VectorData.VectorStoreCollectionDefinition"/> instead of a .NET type: for schemas known
/// only at run time, and for NativeAOT (no reflection over a record type).
/// </summary>
public sealed class DiskAnnDynamicCollection : DiskAnnCollection<object, Dictionary<string, object?>>
{
    /// <summary>Creates a dynamic collection over the database of <paramref name="connectionString"/>.</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string.</param>
    /// <param name="name">The collection's name.</param>
    /// <param name="options">Options; <see cref="Microsoft.Extensions.VectorData.VectorStoreCollectionOptions.Definition"/> is required.</param>
    public DiskAnnDynamicCollection(string connectionString, string name, DiskAnnCollectionOptions options)
        : this(ConnectionPool.For(connectionString, options?.ConnectionFactory), ownsPool: true, name, options!)
    {
    }

    internal DiskAnnDynamicCollection(ConnectionPool pool, bool ownsPool, string name, DiskAnnCollectionOptions options)
        : base(
            pool,
            ownsPool,
            name,
            static options => new DiskAnnModelBuilder().BuildDynamic(
                options.Definition ?? throw new ArgumentException("A dynamic collection needs a VectorStoreCollectionDefinition (options.Definition)."),
                options.EmbeddingGenerator),
            options ?? throw new ArgumentNullException(nameof(options)))
    {
    }
}
