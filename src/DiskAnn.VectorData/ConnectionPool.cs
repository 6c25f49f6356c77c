using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

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

    public ConnectionPool(Func<SqliteConnection> factory, string dataSource)
    {
        _factory = factory;
        DataSource = dataSource;
    }

    /// <summary>The database's name for the abstractions' metadata (the file name of the connection string).</summary>
    public string DataSource { get; }

    public static ConnectionPool FromConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new SqliteConnectionStringBuilder(connectionString);
        return new ConnectionPool(() => new SqliteConnection(connectionString), builder.DataSource);
    }

    public static ConnectionPool FromFactory(Func<SqliteConnection> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        string dataSource;
        using (var probe = factory())
        {
            dataSource = new SqliteConnectionStringBuilder(probe.ConnectionString).DataSource;
        }

        return new ConnectionPool(factory, dataSource);
    }

    public Session Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var session))
        {
            return session;
        }

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
        if (broken || _disposed || _idle.Count >= _maxIdle)
        {
            session.Dispose();
            return;
        }

        _idle.Add(session);
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var session))
        {
            session.Dispose();
        }
    }
}
