using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>
/// A query confined to one large partition of a PARTITION KEY table searches inside that partition: RobustPrune keeps
/// edges between rows of one partition, and the search follows only those (VamanaIndex.ConfinedGreedySearch). These
/// tests hold it to a plain model of the rows (brute force over the partition's rows) after the histories users write:
/// a bulk load, single inserts, deletes, vector updates, rows moved between partitions (the NULL partition too), a
/// rolled-back move, a partition emptied and filled again. After each, every row of every large partition is found by
/// a query for its own vector confined to its partition (a row the partition's edges do not reach would never be), and
/// queries near the data find the exact partition-filtered top 10 (recall).
/// </summary>
public sealed class PartitionSearchTests : DatabaseTest
{
    // Below 128 dimensions the scan does not preselect by sketch, so a partition of more than
    // search_list_size * max_degree / 4 = 20 * 32 / 4 = 160 rows is searched inside, not scanned (and its rows are
    // linked with a search of their partition: the table's search_list_size is 20 too).
    private const int Dimension = 24;
    private const int K = 10;
    private const int LargeRows = 500;
    private static readonly long?[] Large = [1, 2, 3, 4, null];

    private readonly Dictionary<long, (float[] Vector, long? Tenant)> _rows = [];
    private readonly Random _random = new(7);
    private float[][] _centres = [];
    private long _nextId = 1;

    [Theory]
    [InlineData("l2")]
    [InlineData("cosine")]
    public void Every_row_of_a_large_partition_is_found_by_a_search_confined_to_it(string metric)
    {
        _centres = [.. Enumerable.Range(0, 12).Select(_ => SqlHelpers.Gaussian(_random, Dimension, 1f))];
        using var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension={Dimension}, metric={metric}, search_list_size=20, n INTEGER, tenant INTEGER PARTITION KEY)");

        // Five large partitions (one of them NULL) and forty small ones, loaded in one transaction.
        using (var transaction = c.BeginTransaction())
        {
            foreach (var tenant in Large)
            {
                for (var i = 0; i < LargeRows; i++)
                {
                    Insert(c, tenant);
                }
            }

            for (var i = 0; i < 600; i++)
            {
                Insert(c, 100 + (i % 40));
            }

            transaction.Commit();
        }

        AssertFindable(c, metric, "bulk load");

        // Single rows in autocommit.
        for (var i = 0; i < 60; i++)
        {
            Insert(c, Large[i % Large.Length]);
        }

        AssertFindable(c, metric, "single inserts");

        // One transaction: deletes, moves between partitions (into and out of NULL), new vectors, a row moved and back.
        using (var transaction = c.BeginTransaction())
        {
            foreach (var id in IdsOf(2).Where(id => id % 3 == 0).ToList())
            {
                Delete(c, id);
            }

            foreach (var id in IdsOf(3).Take(100).ToList())
            {
                Move(c, id, 1);
            }

            foreach (var id in IdsOf(null).Take(50).ToList())
            {
                Move(c, id, 4);
            }

            foreach (var id in IdsOf(4).Take(30).ToList())
            {
                Move(c, id, null);
            }

            foreach (var id in IdsOf(4).Skip(30).Take(100).ToList())
            {
                var vector = Row();
                _rows[id] = (vector, 4);
                c.Execute("UPDATE t SET vector = $v WHERE rowid = $id", ("$id", id), ("$v", DiskAnnVector.ToBlob(vector)));
            }

            var roundTrip = IdsOf(1).First();
            Move(c, roundTrip, 2);
            Move(c, roundTrip, 1);
            transaction.Commit();
        }

        AssertFindable(c, metric, "deletes, moves and updates");

        // A move rolled back leaves every row where it was.
        using (var transaction = c.BeginTransaction())
        {
            c.Execute("UPDATE t SET tenant = 1 WHERE tenant = 4");
            transaction.Rollback();
        }

        AssertFindable(c, metric, "a rolled-back move");

        // A partition emptied, then filled again with new rows.
        foreach (var id in IdsOf(3).ToList())
        {
            _rows.Remove(id);
        }

        c.Execute("DELETE FROM t WHERE tenant = 3");
        Assert.Empty(c.RowIds("SELECT rowid FROM t WHERE vector MATCH $q AND k = 10 AND tenant = 3", Row()));
        using (var transaction = c.BeginTransaction())
        {
            for (var i = 0; i < 300; i++)
            {
                Insert(c, 3);
            }

            transaction.Commit();
        }

        AssertFindable(c, metric, "a partition emptied and filled again");
        c.Execute("INSERT INTO t(t) VALUES ('integrity-check')");

        // A copy of the file is a new image, loaded from the shadow tables (its partitions list their rows in another
        // order, so its searches start elsewhere).
        var copy = System.IO.Path.Combine(Db.Folder, $"copy-{metric}.db");
        c.Execute($"VACUUM INTO '{copy}'");
        using var reopened = new SqliteConnection($"Data Source={copy};Pooling=False");
        reopened.Open();
        reopened.LoadDiskAnn();
        AssertFindable(reopened, metric, "loading a copy");
    }

    private void AssertFindable(SqliteConnection c, string metric, string after)
    {
        foreach (var tenant in Large)
        {
            var members = IdsOf(tenant).ToList();
            Assert.True(members.Count > 160, $"partition {tenant?.ToString() ?? "NULL"} has {members.Count} rows: too few to be searched inside");
            var condition = tenant is null ? "tenant IS NULL" : $"tenant = {tenant}";

            // Every row, by its own vector: the nearest row of its partition is itself.
            var missed = members.Where(id => c.RowIds($"SELECT rowid FROM t WHERE vector MATCH $q AND k = 1 AND search_list_size = 40 AND {condition}", _rows[id].Vector) is not [var found] || found != id).ToList();
            Assert.True(missed.Count == 0, $"after {after} ({metric}): {missed.Count} of {members.Count} rows of partition {tenant?.ToString() ?? "NULL"} not found by their own vector: {string.Join(", ", missed.Take(10))}");

            // Queries near the data: the exact top 10 of the partition, by brute force over its rows in the model.
            double found = 0, expected = 0;
            for (var q = 0; q < 20; q++)
            {
                var query = Row();
                var exact = members.OrderBy(id => SqlHelpers.ReferenceDistance(metric, query, _rows[id].Vector)).Take(K).ToList();
                var answer = c.RowIds($"SELECT rowid FROM t WHERE vector MATCH $q AND k = {K} AND search_list_size = 20 AND {condition}", query);
                Assert.Equal(K, answer.Count);
                Assert.All(answer, id => Assert.Equal(tenant, _rows[id].Tenant));
                found += answer.Count(exact.Contains);
                expected += exact.Count;
            }

            Assert.True(found / expected >= 0.9, $"after {after} ({metric}): recall@{K} {found / expected:0.000} in partition {tenant?.ToString() ?? "NULL"}");
        }
    }

    private IEnumerable<long> IdsOf(long? tenant) => _rows.Where(r => r.Value.Tenant == tenant).Select(r => r.Key).Order();

    private float[] Row()
    {
        var centre = _centres[_random.Next(_centres.Length)];
        return [.. centre.Zip(SqlHelpers.Gaussian(_random, Dimension, 0.3f), (x, n) => x + n)];
    }

    private void Insert(SqliteConnection c, long? tenant)
    {
        var id = _nextId++;
        var vector = Row();
        _rows[id] = (vector, tenant);
        c.Execute("INSERT INTO t(rowid, vector, n, tenant) VALUES ($id, $v, $n, $t)", ("$id", id), ("$v", DiskAnnVector.ToBlob(vector)), ("$n", id % 7), ("$t", tenant));
    }

    private void Delete(SqliteConnection c, long id)
    {
        _rows.Remove(id);
        c.Execute("DELETE FROM t WHERE rowid = $id", ("$id", id));
    }

    private void Move(SqliteConnection c, long id, long? tenant)
    {
        _rows[id] = (_rows[id].Vector, tenant);
        c.Execute("UPDATE t SET tenant = $t WHERE rowid = $id", ("$id", id), ("$t", tenant));
    }
}
