using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData;

/// <summary>
/// A vector store in one SQLite database, searched through the diskann index (in managed code: no native extension to
/// ship). Its collections share the store's connections, each with the diskann module loaded and its statements prepared.
/// </summary>
/// <example><code>
/// using var store = new DiskAnnVectorStore("Data Source=app.db");
/// var docs = store.GetCollection&lt;int, Doc&gt;("docs");
/// await docs.EnsureCollectionExistsAsync();
/// await docs.UpsertAsync(new Doc { Id = 1, Text = "...", Embedding = vector });
/// await foreach (var hit in docs.SearchAsync(query, top: 5)) { ... }
/// </code></example>
public sealed class DiskAnnVectorStore : VectorStore
{
    /// <summary>The system name of the abstractions' metadata and exceptions: the database is SQLite.</summary>
    internal const string SystemName = "sqlite";

    private readonly ConnectionPool _pool;
    private readonly DiskAnnVectorStoreOptions _options;
    private readonly VectorStoreMetadata _metadata;

    /// <summary>Creates a store over the database of <paramref name="connectionString"/>.</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, such as <c>Data Source=app.db</c>.</param>
    /// <param name="options">The embedding generator and search options, or null.</param>
    public DiskAnnVectorStore(string connectionString, DiskAnnVectorStoreOptions? options = null)
        : this(ConnectionPool.FromConnectionString(connectionString), options)
    {
    }

    /// <summary>Creates a store whose connections come from <see cref="DiskAnnVectorStoreOptions.ConnectionFactory"/>.</summary>
    /// <param name="options">The options; <see cref="DiskAnnVectorStoreOptions.ConnectionFactory"/> is required.</param>
    public DiskAnnVectorStore(DiskAnnVectorStoreOptions options)
        : this(ConnectionPool.FromFactory(options?.ConnectionFactory ?? throw new ArgumentException("DiskAnnVectorStoreOptions.ConnectionFactory is required without a connection string.", nameof(options))), options)
    {
    }

    private DiskAnnVectorStore(ConnectionPool pool, DiskAnnVectorStoreOptions? options)
    {
        _pool = pool;
        _options = new DiskAnnVectorStoreOptions(options);
        _metadata = new VectorStoreMetadata { VectorStoreSystemName = SystemName, VectorStoreName = pool.DataSource };
    }

    /// <inheritdoc />
    [RequiresDynamicCode("Maps records by reflection; for Dictionary<string, object?> records call GetDynamicCollection.")]
    [RequiresUnreferencedCode("Maps records by reflection; for Dictionary<string, object?> records call GetDynamicCollection.")]
    public override DiskAnnCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null)
        => typeof(TRecord) == typeof(Dictionary<string, object?>)
            ? throw new ArgumentException("Dictionary<string, object?> records need GetDynamicCollection.")
            : new DiskAnnCollection<TKey, TRecord>(_pool, ownsPool: false, name, BuildModel<TKey, TRecord>, CollectionOptions(definition));

    /// <inheritdoc />
    public override DiskAnnDynamicCollection GetDynamicCollection(string name, VectorStoreCollectionDefinition definition)
        => new(_pool, ownsPool: false, name, CollectionOptions(definition ?? throw new ArgumentNullException(nameof(definition))));

    /// <summary>The collections of the database: the data tables this connector created (their CREATE statement carries its marker).</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The names.</returns>
    public override async IAsyncEnumerable<string> ListCollectionNamesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var names = Run("ListCollectionNames", session =>
        {
            var command = session.Command("SELECT name FROM sqlite_master WHERE type = 'table' AND instr(sql, @marker) > 0 ORDER BY name");
            command.Bind("@marker", CollectionSchema.Marker);
            var list = new List<string>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                list.Add(reader.GetString(0));
            }

            return list;
        });
        foreach (var name in names)
        {
            yield return name;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return Task.FromResult(Run("CollectionExists", session => DiskAnnCollection<object, Dictionary<string, object?>>.TableExists(session, name)));
    }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Run("EnsureCollectionDeleted", session =>
        {
            DiskAnnCollection<object, Dictionary<string, object?>>.DropCollection(session, name);
            return true;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(VectorStoreMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _pool.Dispose();
        }

        base.Dispose(disposing);
    }

    [RequiresDynamicCode("Maps records by reflection.")]
    [RequiresUnreferencedCode("Maps records by reflection.")]
    private static Microsoft.Extensions.VectorData.ProviderServices.CollectionModel BuildModel<TKey, TRecord>(DiskAnnCollectionOptions options)
        => new DiskAnnModelBuilder().Build(typeof(TRecord), typeof(TKey), options.Definition, options.EmbeddingGenerator);

    private DiskAnnCollectionOptions CollectionOptions(VectorStoreCollectionDefinition? definition) => new()
    {
        Definition = definition,
        EmbeddingGenerator = _options.EmbeddingGenerator,
        SearchListSize = _options.SearchListSize,
    };

    private T Run<T>(string operation, Func<Session, T> body) => _pool.Run(operation, collection: null, body);
}
