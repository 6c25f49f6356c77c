using DiskAnn;

namespace FunctionalTests.Sql;

/// <summary>
/// <c>diskann_status</c>: one row per diskann table per connection of the process, with what its image holds. The status
/// is process-wide and other test classes run at the same time: each test uses a table name of its own.
/// </summary>
public sealed class StatusTests : DatabaseTest
{
    private static List<(long Connection, long This, string File, long Loaded, long Rows, long Tombstones, long Slots, long Memory, long Generation)> Status(Microsoft.Data.Sqlite.SqliteConnection c, string name)
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT connection, this_connection, file, loaded, rows, tombstones, slots, memory_bytes, generation FROM diskann_status WHERE name = $n ORDER BY this_connection DESC";
        command.Parameters.AddWithValue("$n", name);
        using var reader = command.ExecuteReader();
        var rows = new List<(long, long, string, long, long, long, long, long, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8)));
        }

        return rows;
    }

    [Fact]
    public void Each_connection_that_loaded_the_index_is_listed_with_its_rows_tombstones_and_memory()
    {
        const int dimension = 32;
        var vectors = SqlHelpers.Clustered(600, dimension, seed: 91);
        using var first = Db.Open(wal: true);
        first.Execute($"CREATE VIRTUAL TABLE status_idx USING diskann(dimension={dimension}, metric=l2)");
        first.InsertAll("status_idx", vectors);
        var second = Db.Open(wal: true);
        Assert.Equal(10, second.Knn("status_idx", vectors[0], 10).Count);
        Assert.Equal(10, first.Knn("status_idx", vectors[0], 10).Count);

        var both = Status(first, "status_idx");
        Assert.Equal(2, both.Count);
        Assert.Equal([1L, 0L], both.Select(s => s.This));
        Assert.NotEqual(both[0].Connection, both[1].Connection);
        Assert.All(both, s =>
        {
            Assert.Equal(Db.Path, s.File);
            Assert.Equal(1, s.Loaded);
            Assert.Equal(600, s.Rows);
            Assert.Equal(0, s.Tombstones);
            Assert.True(s.Slots >= 600);
            // A copy of the image per connection (today): at least the raw vectors, and not wildly more.
            Assert.InRange(s.Memory, 600L * dimension * sizeof(float), 600L * dimension * sizeof(float) * 6); // vectors, codes, lists of 48 slots, whole chunks
        });

        first.Execute("DELETE FROM status_idx WHERE rowid <= 5");
        var after = Status(first, "status_idx")[0];
        Assert.Equal(595, after.Rows);
        Assert.Equal(5, after.Tombstones);
        Assert.True(after.Generation > both[0].Generation);

        second.Dispose();
        Assert.Single(Status(first, "status_idx"));
    }

    [Fact]
    public void An_in_memory_database_has_no_file_and_the_table_cannot_be_written()
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
        c.Open();
        c.LoadDiskAnn();
        c.Execute("CREATE VIRTUAL TABLE status_mem USING diskann(dimension=2, metric=l2)");
        c.Execute("INSERT INTO status_mem(rowid, vector) VALUES (1, vector_from_json('[1, 2]'))");
        var row = Assert.Single(Status(c, "status_mem"));
        Assert.Equal("", row.File);
        Assert.Equal(1, row.Rows);
        var error = Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() => c.Execute("DELETE FROM diskann_status"));
        Assert.Contains("diskann_status", error.Message);
    }
}
