using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using DiskAnn;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Microsoft.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Loads the <c>diskann</c> module and the vector functions on every connection EF Core uses: each time EF Core opens
/// one (from a connection string, or a user's closed <see cref="SqliteConnection" />, pooled or not), and before the
/// first command on a connection the application opened itself. Loading twice on a connection is harmless.
/// </summary>
public class DiskAnnConnectionInterceptor : DbConnectionInterceptor, IDbCommandInterceptor
{
    // The native connection each SqliteConnection had when the module was last loaded on it.
    private static readonly ConditionalWeakTable<SqliteConnection, StrongBox<nint>> Loaded = new();

    /// <inheritdoc />
    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        => Load(connection, force: true);

    /// <inheritdoc />
    public override Task ConnectionOpenedAsync(
        DbConnection connection,
        ConnectionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        Load(connection, force: true);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public virtual DbCommand CommandInitialized(CommandEndEventData eventData, DbCommand result)
    {
        if (result.Connection is { } connection)
        {
            Load(connection, force: false);
        }

        return result;
    }

    private static void Load(DbConnection connection, bool force)
    {
        if (connection is not SqliteConnection { State: ConnectionState.Open, Handle: { } handle } sqlite)
        {
            return;
        }

        var native = handle.DangerousGetHandle();
        var box = Loaded.GetOrCreateValue(sqlite);
        if (!force && box.Value == native)
        {
            return;
        }

        sqlite.LoadDiskAnn();
        box.Value = native;
    }
}
