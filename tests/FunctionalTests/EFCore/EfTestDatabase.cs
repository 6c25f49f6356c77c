using Microsoft.Data.Sqlite;

namespace FunctionalTests.EFCore;

/// <summary>A SQLite database file in its own temporary folder, deleted with the folder.</summary>
public sealed class EfTestDatabase : IDisposable
{
    private readonly string _folder;

    public EfTestDatabase()
    {
        _folder = Path.Combine(Path.GetTempPath(), "diskann-ef-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        FilePath = Path.Combine(_folder, "test.db");
    }

    public string FilePath { get; }

    /// <summary>Unpooled, so the file can be deleted at the end.</summary>
    public string ConnectionString => $"Data Source={FilePath};Pooling=False";

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
