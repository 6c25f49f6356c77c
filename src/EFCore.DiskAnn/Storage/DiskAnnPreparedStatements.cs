using System.Data;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Microsoft.EntityFrameworkCore.Storage;

/// <summary>
/// The idle prepared KNN commands of one open <see cref="SqliteConnection" />, by SQL text. A command is rented for one
/// execution and returned when EF Core disposes it; a second execution of the same SQL while the first is still being
/// read (nested queries) gets a command of its own. Everything is finalized when the connection closes: a pooled
/// connection's next Open may wrap another native connection, and a statement belongs to the one it was prepared on.
/// </summary>
internal sealed class DiskAnnPreparedStatements
{
    /// <summary>Distinct KNN statements kept per connection; an application has a handful of query shapes.</summary>
    private const int Capacity = 16;

    private static readonly ConditionalWeakTable<SqliteConnection, DiskAnnPreparedStatements> ByConnection = new();

    private readonly SqliteConnection _connection;
    private readonly List<DiskAnnReusableSqliteCommand> _idle = [];

    internal DiskAnnPreparedStatements(SqliteConnection connection)
    {
        _connection = connection;
        connection.StateChange += OnStateChange;
    }

    /// <summary>
    /// The statements of a connection EF Core did not open through the plugin's relational connection. The plugin's
    /// own connection holds its statements itself (<see cref="Infrastructure.DiskAnnRelationalConnection.PreparedStatements(SqliteConnection)" />): a
    /// weak table entry is a GC handle, and a DbContext per request makes a SqliteConnection per request, so entries
    /// would pile up between collections and every gen0 collection would scan them.
    /// </summary>
    public static DiskAnnPreparedStatements For(SqliteConnection connection)
        => ByConnection.GetValue(connection, static c => new DiskAnnPreparedStatements(c));

    /// <summary>The connection whose statements these are.</summary>
    public SqliteConnection Connection => _connection;

    /// <summary>The number of idle commands (for tests).</summary>
    public int IdleCount
    {
        get
        {
            lock (_idle)
            {
                return _idle.Count;
            }
        }
    }

    public DiskAnnReusableSqliteCommand Rent(string sql, int? timeout)
    {
        lock (_idle)
        {
            for (var i = _idle.Count - 1; i >= 0; i--)
            {
                var command = _idle[i];
                if (command.CommandText == sql && command.RequestedTimeout == timeout)
                {
                    _idle.RemoveAt(i);
                    command.Rented = true;
                    return command;
                }
            }
        }

        return new DiskAnnReusableSqliteCommand(this, _connection, timeout) { Rented = true };
    }

    public void Return(DiskAnnReusableSqliteCommand command)
    {
        DiskAnnReusableSqliteCommand? evicted = null;
        lock (_idle)
        {
            if (_connection.State != ConnectionState.Open || HoldsIdle(command.CommandText))
            {
                evicted = command;
            }
            else
            {
                _idle.Add(command);
                if (_idle.Count > Capacity)
                {
                    evicted = _idle[0];
                    _idle.RemoveAt(0);
                }
            }
        }

        evicted?.Release();
    }

    private bool HoldsIdle(string sql)
    {
        foreach (var idle in _idle)
        {
            if (idle.CommandText == sql)
            {
                return true;
            }
        }

        return false;
    }

    public void Forget(DiskAnnReusableSqliteCommand command)
    {
        lock (_idle)
        {
            _idle.Remove(command);
        }
    }

    private void OnStateChange(object sender, StateChangeEventArgs e)
    {
        if (e.CurrentState == ConnectionState.Open)
        {
            return;
        }

        DiskAnnReusableSqliteCommand[] idle;
        lock (_idle)
        {
            idle = [.. _idle];
            _idle.Clear();
        }

        foreach (var command in idle)
        {
            command.Release();
        }
    }
}
