using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>
/// One writer and several readers on their own connections (WAL) for a bounded time: no error but what the
/// busy timeout absorbs, and each reader's snapshot consistent with a committed state (the index and an
/// ordinary table written in the same transactions agree). DISKANN_CONCURRENCY_SECONDS sets the time (default 3).
/// </summary>
public sealed class ConcurrencyTests : DatabaseTest
{
    [Fact]
    public async Task Readers_always_see_a_committed_state_while_a_writer_works()
    {
        var seconds = double.TryParse(Environment.GetEnvironmentVariable("DISKANN_CONCURRENCY_SECONDS"), out var s) ? s : 3;
        using (var setup = Db.Open(wal: true))
        {
            setup.Execute("CREATE TABLE truth(id INTEGER PRIMARY KEY, v BLOB)");
            setup.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=8, metric=l2)");
        }

        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var errors = new System.Collections.Concurrent.ConcurrentBag<string>();
        var reads = 0;
        var commits = 0;

        SqliteConnection Open()
        {
            var c = new SqliteConnection($"Data Source={Db.Path};Pooling=False;Default Timeout=30");
            c.Open();
            c.LoadDiskAnn();
            c.Execute("PRAGMA busy_timeout = 30000");
            return c;
        }

        // Dedicated threads (LongRunning): on a 2-core machine the thread pool would run the readers first and
        // start the writer only when they finish.
        var writer = Task.Factory.StartNew(() =>
        {
            using var c = Open();
            var random = new Random(70);
            var next = 1L;
            while (DateTime.UtcNow < deadline)
            {
                using var t = c.BeginTransaction();
                for (var i = 0; i < random.Next(1, 30); i++)
                {
                    if (next > 100 && random.Next(4) == 0)
                    {
                        var id = random.NextInt64(1, next);
                        c.Execute("DELETE FROM truth WHERE id = $id", ("$id", id));
                        c.Execute("DELETE FROM idx WHERE rowid = $id", ("$id", id));
                    }
                    else
                    {
                        var v = DiskAnnVector.ToBlob(SqlHelpers.Gaussian(random, 8, 1));
                        c.Execute("INSERT INTO truth VALUES ($id, $v)", ("$id", next), ("$v", v));
                        c.Execute("INSERT INTO idx(rowid, vector) VALUES ($id, $v)", ("$id", next), ("$v", v));
                        next++;
                    }
                }

                t.Commit();
                Interlocked.Increment(ref commits);
            }
        }, TaskCreationOptions.LongRunning);

        var readers = Enumerable.Range(0, 3).Select(r => Task.Factory.StartNew(() =>
        {
            using var c = Open();
            var random = new Random(80 + r);
            while (DateTime.UtcNow < deadline)
            {
                using var t = c.BeginTransaction(deferred: true);
                var truth = (long)c.Scalar("SELECT count(*) FROM truth")!;
                var indexed = c.Count("idx");
                if (truth != indexed)
                {
                    errors.Add($"snapshot with {truth} rows in truth but {indexed} in the index");
                }

                foreach (var (rowId, _) in c.Knn("idx", SqlHelpers.Gaussian(random, 8, 1), 10))
                {
                    if (c.Scalar("SELECT 1 FROM truth WHERE id = $id", ("$id", rowId)) is null)
                    {
                        errors.Add($"the index returned row {rowId}, which the snapshot does not have");
                    }
                }

                var expected = Math.Min(10, truth);
                if (c.Knn("idx", SqlHelpers.Gaussian(random, 8, 1), 10).Count != expected)
                {
                    errors.Add("a query returned fewer than k rows");
                }

                t.Commit();
                Interlocked.Increment(ref reads);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        await Task.WhenAll([writer, .. readers]);
        Assert.Empty(errors);
        Assert.True(commits > 5 && reads > 5, $"{commits} commits, {reads} reads");
        using var check = Open();
        check.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");
    }
}
