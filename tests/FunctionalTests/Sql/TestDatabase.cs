using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>A database file in its own temporary folder, deleted with the test; connections come with the module loaded.</summary>
public sealed class TestDatabase : IDisposable
{
    private readonly List<SqliteConnection> _connections = [];

    public TestDatabase()
    {
        Folder = Directory.CreateTempSubdirectory("diskann-test-").FullName;
        Path = System.IO.Path.Combine(Folder, "test.db");
    }

    public string Folder { get; }

    public string Path { get; }

    public SqliteConnection Open(bool wal = false)
    {
        var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
        connection.Open();
        connection.LoadDiskAnn();
        if (wal)
        {
            connection.Execute("PRAGMA journal_mode=WAL");
        }

        _connections.Add(connection);
        return connection;
    }

    public void Dispose()
    {
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
