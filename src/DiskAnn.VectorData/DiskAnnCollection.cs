using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace DiskAnn.VectorData;

/// <summary>
/// A collection of records in a SQLite database, searched through a diskann (DiskANN/Vamana) index: a data table,
/// one diskann table per vector property (IsIndexed properties are its filter columns, so filters run inside the graph
/// search and k results come back whenever k records pass), an FTS5 table for full-text properties (hybrid search),
/// and triggers that keep them in step.
/// </summary>
/// <typeparam name="TKey">The key type: <see cref="int"/>, <see cref="long"/>, <see cref="string"/> or <see cref="Guid"/> (object for the dynamic collection).</typeparam>
/// <typeparam name="TRecord">The record type.</typeparam>
public partial class DiskAnnCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>, IKeywordHybridSearchable<TRecord>
    where TKey : notnull
    where TRecord : class
{
    private readonly ConnectionPool _pool;
    private readonly bool _ownsPool;
    private readonly CollectionModel _model;
    private readonly CollectionSchema _schema;
    private readonly VectorStoreCollectionMetadata _metadata;
    private readonly RecordReader<TRecord> _reader;
    private readonly int? _searchListSize;
    private readonly string?[] _searchSql;

    /// <summary>Creates a collection over the database of <paramref name="connectionString"/>.</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, such as <c>Data Source=app.db</c>.</param>
    /// <param name="name">The collection's name: its data table's.</param>
    /// <param name="options">The record definition, embedding generator and search options, or null.</param>
    [RequiresDynamicCode("Maps records by reflection; for Dictionary<string, object?> records use DiskAnnDynamicCollection.")]
    [RequiresUnreferencedCode("Maps records by reflection; for Dictionary<string, object?> records use DiskAnnDynamicCollection.")]
    public DiskAnnCollection(string connectionString, string name, DiskAnnCollectionOptions? options = null)
        : this(ConnectionPool.For(connectionString, options?.ConnectionFactory), ownsPool: true, name, BuildModel, options)
    {
    }

    internal DiskAnnCollection(ConnectionPool pool, bool ownsPool, string name, Func<DiskAnnCollectionOptions, CollectionModel> modelFactory, DiskAnnCollectionOptions? options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (typeof(TKey) != typeof(int) && typeof(TKey) != typeof(long) && typeof(TKey) != typeof(string) && typeof(TKey) != typeof(Guid) && typeof(TKey) != typeof(object))
        {
            throw new NotSupportedException($"The key type '{typeof(TKey).Name}' is not supported by the DiskAnn connector: a key is int, long, string or Guid.");
        }

        options ??= new DiskAnnCollectionOptions();
        _pool = pool;
        _ownsPool = ownsPool;
        Name = name;
        _model = modelFactory(options);
        _schema = new CollectionSchema(name, _model);
        _reader = new RecordReader<TRecord>(_model, _schema);
        _searchListSize = options.SearchListSize;
        _searchSql = new string?[Math.Max(1, _schema.Vectors.Count) * 4];
        _metadata = new VectorStoreCollectionMetadata
        {
            VectorStoreSystemName = DiskAnnVectorStore.SystemName,
            VectorStoreName = pool.DataSource,
            CollectionName = name,
        };
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default)
        => Task.FromResult(Run("CollectionExists", session => TableExists(session, Name)));

    /// <summary>
    /// Creates the data table, the diskann index of each vector property, the FTS5 table of full-text properties and
    /// the triggers, in one transaction; whatever already exists is kept (a collection created with other properties
    /// is not changed).
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the collection exists.</returns>
    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Run("EnsureCollectionExists", session =>
        {
            session.Begin();
            foreach (var statement in _schema.CreateStatements())
            {
                session.ExecuteOnce(statement);
            }

            session.Commit();
            return true;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Run("EnsureCollectionDeleted", session =>
        {
            DropCollection(session, Name);
            return true;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(VectorStoreCollectionMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsPool)
        {
            _pool.Dispose();
        }

        base.Dispose(disposing);
    }

    internal static bool TableExists(Session session, string name)
    {
        var command = session.Command("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = @name");
        command.Bind("@name", name);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Drops the data table of <paramref name="name"/> and the connector's tables beside it (index, FTS5; the triggers go with the table).</summary>
    internal static void DropCollection(Session session, string name)
    {
        var tables = new List<string>();
        var list = session.Command("SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE @prefix ESCAPE '\\') AND sql LIKE 'CREATE VIRTUAL TABLE%'");
        list.Bind("@prefix", name.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "\\_\\_%");
        using (var reader = list.ExecuteReader())
        {
            while (reader.Read())
            {
                var table = reader.GetString(0);
                if (table == name + "__fts" || table.StartsWith(name + "__vec_", StringComparison.Ordinal))
                {
                    tables.Add(table);
                }
            }
        }

        session.Begin();
        foreach (var table in tables.Append(name))
        {
            session.ExecuteOnce($"DROP TABLE IF EXISTS {Sql.Quote(table)}");
        }

        session.Commit();
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The public constructor that uses this carries the attribute.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "The public constructor that uses this carries the attribute.")]
    private static CollectionModel BuildModel(DiskAnnCollectionOptions options)
        => typeof(TRecord) == typeof(Dictionary<string, object?>)
            ? throw new NotSupportedException("Dictionary<string, object?> records need the dynamic collection: DiskAnnDynamicCollection, or VectorStore.GetDynamicCollection.")
            : new DiskAnnModelBuilder().Build(typeof(TRecord), typeof(TKey), options.Definition, options.EmbeddingGenerator);

    private T Run<T>(string operation, Func<Session, T> body) => _pool.Run(operation, Name, body);
}
