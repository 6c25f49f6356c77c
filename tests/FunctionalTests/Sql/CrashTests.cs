using System.Diagnostics;
using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>
/// Kills a writer process (SIGKILL) at random moments, then checks the index against an ordinary table the
/// writer changed in the same transactions: integrity holds, every committed row is there with its vector and
/// filter column values and answers queries, nothing uncommitted is. DISKANN_CRASH_ROUNDS sets the rounds per journal mode (default 25).
/// </summary>
public sealed class CrashTests : DatabaseTest
{
    [Theory]
    [InlineData("delete")]
    [InlineData("wal")]
    public void A_killed_writer_never_leaves_a_broken_or_partial_index(string journal)
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("DISKANN_CRASH_ROUNDS"), out var r) ? r : 25;
        var random = new Random(journal.GetHashCode(StringComparison.Ordinal));
        for (var round = 0; round < rounds; round++)
        {
            RunAndKill(journal, seed: round, afterMilliseconds: random.Next(0, 300));
            Assert.True(Verify() > 0, "the writer had committed rows");
        }
    }

    /// <summary>Starts the writer, waits for its first commit, lets it run a random while longer, and kills it.</summary>
    private void RunAndKill(string journal, int seed, int afterMilliseconds)
    {
        using var process = WriterProcess.Start(Db.Path, journal, seed);
        Thread.Sleep(afterMilliseconds);
        if (process.HasExited)
        {
            Assert.Fail($"worker died by itself: {process.StandardError.ReadToEnd()}");
        }

        process.Kill(); // SIGKILL: no cleanup, no finally blocks
        process.WaitForExit();
    }

    private int Verify()
    {
        using var c = new SqliteConnection($"Data Source={Db.Path};Pooling=False");
        c.Open();
        c.LoadDiskAnn();
        c.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");
        Assert.Equal("ok", c.Scalar("PRAGMA integrity_check"));

        var truth = Rows(c, "SELECT id, v FROM truth ORDER BY id");
        var index = Rows(c, "SELECT rowid, vector FROM idx ORDER BY rowid");
        Assert.Equal(truth.Keys, index.Keys);
        foreach (var (id, vector) in truth)
        {
            Assert.Equal(vector, index[id]);
        }

        // The filter columns hold the committed values, and a filtered query finds rows by them.
        Assert.Equal(c.TextRows("SELECT id, g, tag FROM truth ORDER BY id"), c.TextRows("SELECT rowid, g, tag FROM idx ORDER BY rowid"));
        foreach (var tag in new[] { "t0", "t3" })
        {
            var passing = Convert.ToInt64(c.Scalar($"SELECT count(*) FROM truth WHERE tag = '{tag}' AND g > 2"));
            Assert.Equal(Math.Min(10, passing), c.Knn("idx", new float[16], 10, $"AND tag = '{tag}' AND g > 2").Count);
        }

        // Every row answers queries: a row's own vector finds it (an approximate index may miss the odd
        // one of random 16-d points, which have no structure to navigate, hence 99% rather than all).
        var sample = truth.Where((_, i) => i % 5 == 0).ToList();
        var found = sample.Count(row => c.Knn("idx", DiskAnnVector.FromBlob(row.Value), 10).Any(hit => hit.RowId == row.Key));
        Assert.True(found >= sample.Count * 0.99, $"{found} of {sample.Count} rows found by their own vector");

        return truth.Count;
    }

    private static SortedDictionary<long, byte[]> Rows(SqliteConnection c, string sql)
    {
        using var command = c.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new SortedDictionary<long, byte[]>();
        while (reader.Read())
        {
            rows.Add(reader.GetInt64(0), (byte[])reader.GetValue(1));
        }

        return rows;
    }
}
