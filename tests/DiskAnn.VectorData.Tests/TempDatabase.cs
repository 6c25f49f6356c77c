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
