using Microsoft.Data.Sqlite;

namespace DiskAnn;

/// <summary>Registers the <c>diskann</c> module and the vector functions on a Microsoft.Data.Sqlite connection.</summary>
public static class SqliteConnectionExtensions
{
    /// <summary>
    /// Registers the <c>diskann</c> virtual-table module and the scalar vector functions
    /// (<c>vector_distance_cosine</c>, <c>vector_distance_l2</c>, <c>vector_distance_dot</c>,
    /// <c>vector_from_json</c>, <c>vector_to_json</c>) on this open connection. Calling it again is harmless. Tables are
    /// declared with the options of <see cref="DiskAnnOptionSpec" /> within <see cref="DiskAnnLimits" />. (With EF Core,
    /// <c>UseDiskAnn()</c> calls this on every connection the context opens.)
    /// </summary>
    /// <example><code>
    /// using var connection = new SqliteConnection("Data Source=app.db");
    /// connection.Open();
    /// connection.LoadDiskAnn();
    /// </code></example>
    /// <param name="connection">An open connection.</param>
    /// <returns>The same connection, for chaining.</returns>
    /// <exception cref="InvalidOperationException">The connection is not open.</exception>
    public static SqliteConnection LoadDiskAnn(this SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.State != System.Data.ConnectionState.Open || connection.Handle is null)
        {
            throw new InvalidOperationException("LoadDiskAnn needs an open connection: call Open() first.");
        }

        Sqlite.SqliteApi.UseLibraryExports();
        DiskAnnRegistration.Register(connection.Handle.DangerousGetHandle());
        return connection;
    }
}
