using Microsoft.Data.Sqlite;

namespace Microsoft.EntityFrameworkCore.Storage;

/// <summary>
/// A <see cref="SqliteCommand" /> whose <c>Dispose</c> from EF Core (after each execution) hands it back to its
/// connection's <see cref="DiskAnnPreparedStatements" /> with its statement still prepared. Any other disposal (the
/// connection closing, the cache evicting it) finalizes the statement as usual.
/// </summary>
internal sealed class DiskAnnReusableSqliteCommand : SqliteCommand
{
    private readonly DiskAnnPreparedStatements _owner;

    public DiskAnnReusableSqliteCommand(DiskAnnPreparedStatements owner, SqliteConnection connection, int? timeout)
    {
        _owner = owner;
        Connection = connection;
        RequestedTimeout = timeout;
    }

    /// <summary>Executing for EF Core now: its next Dispose returns it to the cache.</summary>
    public bool Rented { get; set; }

    /// <summary>The command timeout EF Core asked for when this command was created (null: the connection's default).</summary>
    public int? RequestedTimeout { get; }

    /// <summary>Finalizes the statement for good.</summary>
    public void Release()
    {
        Rented = false;
        base.Dispose(true);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Rented)
        {
            Rented = false;
            Parameters.Clear();
            _owner.Return(this);
            return;
        }

        _owner.Forget(this);
        base.Dispose(disposing);
    }
}
