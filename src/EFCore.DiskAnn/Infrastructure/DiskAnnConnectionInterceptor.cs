using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using DiskAnn;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using SQLitePCL;

namespace Microsoft.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Loads the <c>diskann</c> module and the vector functions on every connection EF Core uses: each time EF Core opens
/// one (from a connection string, or a user's closed <see cref="SqliteConnection" />, pooled or not). A connection the
/// application opened itself is covered by the plugin's relational connection, which checks before each command.
/// The module is registered once per native SQLite connection: reopening a pooled connection (which hands back the
/// same native connection) does not register it again.
/// </summary>
public class DiskAnnConnectionInterceptor : DbConnectionInterceptor
{
    // The native connections (SQLitePCL handles, compared by identity: a new native connection is a new handle object,
    // even at a recycled address) the module is registered on.
    private static readonly ConditionalWeakTable<sqlite3, object> Loaded = new();

    /// <inheritdoc />
    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        => EnsureLoaded(connection);

    /// <inheritdoc />
    public override Task ConnectionOpenedAsync(
        DbConnection connection,
        ConnectionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        EnsureLoaded(connection);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Loads the module on <paramref name="result" />'s connection if it is open and does not have it yet. Kept for
    /// callers of earlier versions; the plugin no longer registers a command interceptor (it made EF Core build
    /// diagnostic event data for every command).
    /// </summary>
    public virtual DbCommand CommandInitialized(CommandEndEventData eventData, DbCommand result)
    {
        if (result.Connection is { } connection)
        {
            EnsureLoaded(connection);
        }

        return result;
    }

    /// <summary>
    /// Registers the <c>diskann</c> module and the vector functions on <paramref name="connection" /> when it is an open
    /// <see cref="SqliteConnection" /> whose native connection does not have them yet; otherwise does nothing (cheap).
    /// </summary>
    public static void EnsureLoaded(DbConnection connection)
    {
        if (connection is not SqliteConnection { State: ConnectionState.Open, Handle: { } handle } sqlite
            || Loaded.TryGetValue(handle, out _))
        {
            return;
        }

        sqlite.LoadDiskAnn();
        Loaded.AddOrUpdate(handle, Loaded);
    }
}
