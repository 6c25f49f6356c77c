using Microsoft.Data.Sqlite;

namespace DiskAnn.VectorData.Tests;

/// <summary>A database file of its own for one test, deleted afterwards (a file, not :memory:, because the store opens several connections).</summary>
public sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"diskann-vectordata-{Guid.NewGuid():N}.db");
        ConnectionString = $"Data Source={Path};Pooling=False";
    }

    public string Path { get; }

    public string ConnectionString { get; }

    /// <summary>Runs plain SQL on a connection of its own, with the module loaded (as an application beside the store would).</summary>
    public void Execute(string sql)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        connection.LoadDiskAnn();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { Path, Path + "-journal", Path + "-wal", Path + "-shm" })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
            }
        }
    }
}
