using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

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

    /// <summary>SQLite with the plugin, recording the commands in <paramref name="capture" /> when given.</summary>
    public static DbContextOptions<TContext> Options<TContext>(string connectionString, SqlCapture? capture = null)
        where TContext : DbContext
    {
        var builder = new DbContextOptionsBuilder<TContext>().UseSqlite(connectionString, o => o.UseDiskAnn());
        if (capture is not null)
        {
            builder.AddInterceptors(capture);
        }

        return builder.Options;
    }

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
