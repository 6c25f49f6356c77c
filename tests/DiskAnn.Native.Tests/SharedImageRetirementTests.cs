using DiskAnn;
using DiskAnn.Graph;
using DiskAnn.VirtualTable;
using Microsoft.Data.Sqlite;

namespace DiskAnn.Native.Tests;

/// <summary>
/// The images of an index that commits replace are freed once no connection uses them: a thousand commits leave a
/// handful alive, not a thousand; and the last connection to close lets the process's image go.
/// </summary>
public sealed class SharedImageRetirementTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("diskann-retire-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection($"Data Source={Path.Combine(_folder, "r.db")};Pooling=False");
        c.Open();
        c.LoadDiskAnn();
        using var wal = c.CreateCommand();
        wal.CommandText = "PRAGMA journal_mode=WAL";
        wal.ExecuteNonQuery();
        return c;
    }

    private static void Execute(SqliteConnection c, string sql, params (string, object)[] parameters)
    {
        using var command = c.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    private static VamanaIndex ImageOf(SqliteConnection c) => TableRegistry.Find(c.Handle!.DangerousGetHandle(), "retire")!.Index;

    // Weak references made in methods of their own, so that no stack slot of the test keeps an image alive.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference<VamanaIndex> WeakImageOf(SqliteConnection c) => new(ImageOf(c));

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static bool SameImage(SqliteConnection a, SqliteConnection b, out int rows)
    {
        rows = ImageOf(b).LiveCount;
        return ReferenceEquals(ImageOf(a), ImageOf(b));
    }

    [Fact]
    public void A_thousand_commits_leave_a_handful_of_images_alive_and_closing_lets_the_last_go()
    {
        var random = new Random(7);
        float[] Vector() => Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble()).ToArray();
        using var writer = Open();
        using var reader = Open();
        Execute(writer, "CREATE VIRTUAL TABLE retire USING diskann(dimension=8, metric=l2, max_degree=8)");
        for (var i = 1; i <= 200; i++)
        {
            Execute(writer, "INSERT INTO retire(rowid, vector) VALUES ($id, $v)", ("$id", i), ("$v", DiskAnnVector.ToBlob(Vector())));
        }

        var seen = new List<WeakReference<VamanaIndex>>();
        for (var commit = 0; commit < 1000; commit++)
        {
            Execute(writer, "INSERT INTO retire(rowid, vector) VALUES ($id, $v)", ("$id", 1000 + commit), ("$v", DiskAnnVector.ToBlob(Vector())));
            Execute(reader, "SELECT count(*) FROM retire WHERE vector MATCH $q AND k = 3", ("$q", DiskAnnVector.ToBlob(Vector())));
            if (commit % 10 == 0)
            {
                seen.Add(WeakImageOf(reader));
            }
        }

        // Both connections use the image of the last commit.
        Assert.True(SameImage(writer, reader, out var rows));
        Assert.Equal(1200, rows);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var alive = seen.Count(w => w.TryGetTarget(out _));
        Assert.True(alive <= 3, $"{alive} of the {seen.Count} images sampled are still alive");

        var last = WeakImageOf(reader);
        writer.Dispose();
        reader.Dispose();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(last.TryGetTarget(out _), "the image outlived every connection of the table");
    }
}
