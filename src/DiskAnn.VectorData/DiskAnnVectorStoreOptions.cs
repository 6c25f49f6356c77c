using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;

namespace DiskAnn.VectorData;

/// <summary>Options of a <see cref="DiskAnnVectorStore"/>.</summary>
public sealed class DiskAnnVectorStoreOptions
{
    /// <summary>Creates default options.</summary>
    public DiskAnnVectorStoreOptions()
    {
    }

    /// <summary>Copies <paramref name="source"/>.</summary>
    /// <param name="source">The options to copy, or null for the defaults.</param>
    public DiskAnnVectorStoreOptions(DiskAnnVectorStoreOptions? source)
    {
        ConnectionFactory = source?.ConnectionFactory;
        EmbeddingGenerator = source?.EmbeddingGenerator;
        SearchListSize = source?.SearchListSize;
    }

    /// <summary>
    /// Creates the connections of the store, instead of a connection string. A connection may be returned open or
    /// closed; the store opens it and loads the diskann module.
    /// </summary>
    public Func<SqliteConnection>? ConnectionFactory { get; set; }

    /// <summary>The embedding generator of collections that do not name their own: it embeds string (or other) vector properties and search values.</summary>
    public IEmbeddingGenerator? EmbeddingGenerator { get; set; }

    /// <summary>The <see cref="DiskAnnCollectionOptions.SearchListSize"/> of the store's collections.</summary>
    public int? SearchListSize { get; set; }
}
