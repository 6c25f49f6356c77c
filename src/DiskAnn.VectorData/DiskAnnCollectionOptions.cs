using Microsoft.Data.Sqlite;
using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData;

/// <summary>Options of a <see cref="DiskAnnCollection{TKey, TRecord}"/> (beyond the record definition and embedding generator of the abstractions).</summary>
public sealed class DiskAnnCollectionOptions : VectorStoreCollectionOptions
{
    /// <summary>Creates default options.</summary>
    public DiskAnnCollectionOptions()
    {
    }

    /// <summary>Copies <paramref name="source"/>.</summary>
    /// <param name="source">The options to copy, or null for the defaults.</param>
    public DiskAnnCollectionOptions(DiskAnnCollectionOptions? source)
        : base(source)
    {
        ConnectionFactory = source?.ConnectionFactory;
        SearchListSize = source?.SearchListSize;
    }

    /// <summary>
    /// Creates the connections the collection uses, instead of a connection string (for example to set a password or
    /// pragmas). A connection may be returned open or closed; the collection opens it and loads the diskann module.
    /// </summary>
    public Func<SqliteConnection>? ConnectionFactory { get; set; }

    /// <summary>
    /// The candidate list size L of each vector search (the module's <c>search_list_size</c>): larger finds the true
    /// nearest more often and costs more. Null uses the index's default (64); a search for more than L results
    /// widens the list to the number of results.
    /// </summary>
    public int? SearchListSize { get; set; }
}
