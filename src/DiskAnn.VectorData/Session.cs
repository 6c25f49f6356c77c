using Microsoft.Data.Sqlite;

namespace DiskAnn.VectorData;

/// <summary>
/// An open connection with the diskann module loaded and the commands it has prepared, keyed by their SQL: a
/// statement the collection runs again (a search of the same shape, an upsert) is bound and stepped without being
/// parsed again. Used by one operation at a time (see <see cref="ConnectionPool"/>).
/// </summary>
internal sealed class Session : IDisposable
{
    /// <summary>Distinct statements kept per connection; filters of many shapes start over rather than grow without bound.</summary>
    private const int MaxCommands = 128;

    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private SqliteTransaction? _transaction;

    public Session(SqliteConnection connection) => Connection = connection;

    public SqliteConnection Connection { get; }

    /// <summary>The prepared command for <paramref name="sql"/>, enlisted in the open transaction if any.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            if (_commands.Count >= MaxCommands)
            {
                DisposeCommands();
            }

            command = Connection.CreateCommand();
            command.CommandText = sql;
            _commands.Add(sql, command);
        }

        command.Transaction = _transaction;
        return command;
    }

    /// <summary>Runs a statement that is not kept prepared (DDL), in the open transaction if any.</summary>
    public void ExecuteOnce(string sql)
    {
        using var command = Connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Begin() => _transaction = Connection.BeginTransaction();

    public void Commit()
    {
        _transaction?.Commit();
        EndTransaction();
    }

    /// <summary>Rolls back an open transaction (after a failure); harmless without one.</summary>
    public void EndTransaction()
    {
        _transaction?.Dispose();
        _transaction = null;
    }

    public void Dispose()
    {
        EndTransaction();
        DisposeCommands();
        Connection.Dispose();
    }

    private void DisposeCommands()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
    }
}
