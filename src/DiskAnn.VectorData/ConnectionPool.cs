using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData;

/// <summary>
/// The open connections of a store (or of a collection made on its own), each with its prepared commands. An operation
/// rents one and gives it back, so concurrent operations use separate connections (as SQLite requires) and a
/// sequence of operations pays neither an open, nor the module's registration, nor a statement's preparation again.
/// The index itself is shared by every connection of the process, so idle connections cost little memory.
/// </summary>
internal sealed class ConnectionPool : IDisposable
{
    private readonly Func<SqliteConnection> _factory;
    private readonly ConcurrentBag<Session> _idle = [];
    private readonly int _maxIdle = Math.Max(4, Environment.ProcessorCount * 2);
    private volatile bool _disposed;

    /// <summary>
    /// For an in-memory or temporary database (<c>:memory:</c>, <c>Mode=Memory</c>, an empty Data Source), which exists
    /// only on the connection that made it: one connection, kept open for the pool's life and used by one operation at
    /// a time.
    /// </summary>
    private readonly bool _single;
    private readonly Lock _gate = new();
    private Session? _only;

    public ConnectionPool(Func<SqliteConnection> factory, SqliteConnectionStringBuilder connectionString)
    {
        _factory = factory;
        DataSource = connectionString.DataSource;
        _single = connectionString.DataSource is "" or ":memory:" || connectionString.Mode == SqliteOpenMode.Memory;
    }

    /// <summary>The database's name for the abstractions' metadata (the file name of the connection string).</summary>
    public string DataSource { get; }

    /// <summary>The pool of a store or collection: from the factory when there is one, else from the connection string.</summary>
    public static ConnectionPool For(string? connectionString, Func<SqliteConnection>? factory)
        => factory is not null ? FromFactory(factory) : FromConnectionString(connectionString!);

    public static ConnectionPool FromConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return new ConnectionPool(() => new SqliteConnection(connectionString), new SqliteConnectionStringBuilder(connectionString));
    }

    public static ConnectionPool FromFactory(Func<SqliteConnection> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        SqliteConnectionStringBuilder connectionString;
        using (var probe = factory())
        {
            connectionString = new SqliteConnectionStringBuilder(probe.ConnectionString);
        }

        return new ConnectionPool(factory, connectionString);
    }

    public Session Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_single)
        {
            _gate.Enter();
            try
            {
                return _only ??= Open();
            }
            catch
            {
                _gate.Exit();
                throw;
            }
        }

        return _idle.TryTake(out var session) ? session : Open();
    }

    private Session Open()
    {
        var connection = _factory();
        try
        {
            if (connection.State != System.Data.ConnectionState.Open)
            {
                connection.Open();
            }

            connection.LoadDiskAnn();
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        return new Session(connection);
    }

    /// <summary>Takes a session back; one that failed (<paramref name="broken"/>) is closed rather than reused.</summary>
    public void Return(Session session, bool broken)
    {
        session.EndTransaction();
        if (_single)
        {
            // The one connection is the database: it stays open even after a failure.
            if (_disposed)
            {
                session.Dispose();
                _only = null;
            }

            _gate.Exit();
            return;
        }

        if (broken || _disposed || _idle.Count >= _maxIdle)
        {
            session.Dispose();
            return;
        }

        _idle.Add(session);
    }

    /// <summary>
    /// Runs one operation on a rented connection. SQLite's failures (and the module's: a dimension the index refuses,
    /// a missing table) become <see cref="VectorStoreException"/> naming the store, the collection and the operation.
    /// A connection whose operation failed is closed rather than reused.
    /// </summary>
    public T Run<T>(string operation, string? collection, Func<Session, T> body)
    {
        Session? session = null;
        var broken = true;
        try
        {
            session = Rent();
            var result = body(session);
            broken = false;
            return result;
        }
        catch (SqliteException e)
        {
            throw new VectorStoreException($"{operation}{(collection is null ? "" : $" on collection '{collection}'")} failed: {e.Message}", e)
            {
                VectorStoreSystemName = DiskAnnVectorStore.SystemName,
                VectorStoreName = DataSource,
                CollectionName = collection,
                OperationName = operation,
            };
        }
        finally
        {
            if (session is not null)
            {
                Return(session, broken);
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var session))
        {
            session.Dispose();
        }

        if (_single)
        {
            lock (_gate)
            {
                _only?.Dispose();
                _only = null;
            }
        }
    }
}
