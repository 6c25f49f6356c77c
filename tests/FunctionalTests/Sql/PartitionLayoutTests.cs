using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>
/// A PARTITION KEY table lays out the rows of a large batch (a bulk load, a reload in one transaction) partition by
/// partition before linking them, moving rows between slots in memory and in the shadow tables. These tests load rows
/// of many partitions interleaved, as they arrive from an application, through the histories that stress that move
/// (a search in the middle of the transaction, a savepoint rolled back after it, a cache budget smaller than the
/// table, a reload of every row), and hold every row to a plain model afterwards and after a reopen: its vector and
/// filter values read back as written, its partition's queries find it by its own vector, and they find the exact
/// partition-filtered top 10 (brute force over the model).
/// </summary>
public sealed class PartitionLayoutTests : DatabaseTest
{
    private const int K = 10;
    private static readonly long?[] Tenants = [1, 2, 3, null, 100, 101, 102];

    private readonly Dictionary<long, (float[] Vector, long? Tenant, string Lang)> _rows = [];
    private readonly Random _random = new(11);
    private long _nextId = 1;
    private bool _quantized;

    [Theory]
    [InlineData(32, "")]
    [InlineData(384, ", cache_size_mb=1")] // 1,700 x 1.5 KB of vectors: chunks are dropped and read back while rows move
    [InlineData(32, ", quantization=int8")] // the rows' codes and scales move instead of float32 vectors
    public void Rows_loaded_interleaved_keep_their_vectors_values_and_partitions(int dimension, string options)
    {
        _quantized = options.Contains("int8", StringComparison.Ordinal);
        using var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension={dimension}, metric=cosine{options}, lang TEXT, tenant INTEGER PARTITION KEY)");

        // One transaction: rows linked by a search half-way (and laid out then), a savepoint rolled back after more
        // rows came, then more rows, linked at COMMIT.
        using (var transaction = c.BeginTransaction())
        {
            InsertMany(c, dimension, 700);
            Assert.Equal(K, c.RowIds($"SELECT rowid FROM t WHERE vector MATCH $q AND k = {K} AND tenant = 1", Vector(dimension)).Count);
            c.Execute("SAVEPOINT s");
            var before = _rows.Keys.ToHashSet();
            InsertMany(c, dimension, 400);
            Assert.Equal(K, c.RowIds($"SELECT rowid FROM t WHERE vector MATCH $q AND k = {K} AND tenant = 2", Vector(dimension)).Count);
            c.Execute("ROLLBACK TO s");
            c.Execute("RELEASE s");
            foreach (var id in _rows.Keys.Where(id => !before.Contains(id)).ToList())
            {
                _rows.Remove(id);
            }

            InsertMany(c, dimension, 1000);
            transaction.Commit();
        }

        AssertModel(c, "a bulk load");

        // Every vector rewritten in one transaction: the table is linked afresh, every row moves.
        using (var transaction = c.BeginTransaction())
        {
            foreach (var id in _rows.Keys.ToList())
            {
                var vector = Vector(dimension);
                _rows[id] = (vector, _rows[id].Tenant, _rows[id].Lang);
                c.Execute("UPDATE t SET vector = $v WHERE rowid = $id", ("$id", id), ("$v", DiskAnnVector.ToBlob(vector)));
            }

            transaction.Commit();
        }

        AssertModel(c, "a rewrite of every vector");
        c.Execute("INSERT INTO t(t) VALUES ('rebuild')");
        AssertModel(c, "'rebuild'");

        using var reopened = Db.Open();
        AssertModel(reopened, "a reopen");
    }

    [Theory]
    [InlineData(16, "")]
    [InlineData(384, ", cache_size_mb=1")] // 1,000 rows of 1.5 KB left: the compaction's end trims the cache to the budget
    public void An_optimize_in_the_transaction_that_loaded_the_rows_keeps_them(int dimension, string options)
    {
        using var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension={dimension}, metric=cosine{options}, lang TEXT, tenant INTEGER PARTITION KEY)");
        InsertMany(c, dimension, 1200);

        // Rows deleted in the first chunks leave room the compaction fills from the last; the rows loaded in the same
        // transaction are laid out by partition when 'optimize' links them, and then compacted.
        using (var transaction = c.BeginTransaction())
        {
            foreach (var id in _rows.Keys.Where(id => id % 3 != 0).ToList())
            {
                _rows.Remove(id);
                c.Execute("DELETE FROM t WHERE rowid = $id", ("$id", id));
            }

            InsertMany(c, dimension, 600);
            c.Execute("INSERT INTO t(t) VALUES ('optimize')");
            transaction.Commit();
        }

        AssertModel(c, "'optimize' in the loading transaction");
        using var reopened = Db.Open();
        AssertModel(reopened, "a reopen");
    }

    private void AssertModel(SqliteConnection c, string after)
    {
        c.Execute("INSERT INTO t(t) VALUES ('integrity-check')");

        // Every row reads back as written.
        using (var read = c.CreateCommand())
        {
            read.CommandText = "SELECT rowid, vector, lang, tenant FROM t";
            var seen = 0;
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                var id = reader.GetInt64(0);
                Assert.True(_rows.TryGetValue(id, out var row), $"after {after}: rowid {id} is not in the model");
                var stored = DiskAnnVector.FromBlob((byte[])reader[1]);
                if (_quantized)
                {
                    // int8 keeps each value to within half a step of 1/127 of the largest.
                    var step = row.Vector.Max(Math.Abs) / 127f;
                    Assert.All(row.Vector.Zip(stored), pair => Assert.InRange(pair.Second, pair.First - step, pair.First + step));
                }
                else
                {
                    Assert.Equal(row.Vector, stored);
                }

                Assert.Equal(row.Lang, reader.GetString(2));
                Assert.Equal(row.Tenant, reader.IsDBNull(3) ? null : reader.GetInt64(3));
                seen++;
            }

            Assert.Equal(_rows.Count, seen);
        }

        foreach (var tenant in Tenants)
        {
            var condition = tenant is null ? "tenant IS NULL" : $"tenant = {tenant}";
            var members = _rows.Where(r => r.Value.Tenant == tenant).Select(r => r.Key).ToList();

            // Every row of the partition, by its own vector.
            var missed = members.Where(id => c.RowIds($"SELECT rowid FROM t WHERE vector MATCH $q AND k = 1 AND search_list_size = 40 AND {condition}", _rows[id].Vector) is not [var found] || found != id).ToList();
            Assert.True(missed.Count == 0, $"after {after}: {missed.Count} of {members.Count} rows of partition {tenant?.ToString() ?? "NULL"} not found by their own vector: {string.Join(", ", missed.Take(10))}");

            // The exact top 10 of the partition, by brute force over the model.
            double hits = 0, expected = 0;
            for (var q = 0; q < 10; q++)
            {
                var query = Vector(_rows.First().Value.Vector.Length);
                var exact = members.OrderBy(id => SqlHelpers.ReferenceDistance("cosine", query, _rows[id].Vector)).Take(K).ToList();
                var answer = c.RowIds($"SELECT rowid FROM t WHERE vector MATCH $q AND k = {K} AND {condition}", query);
                Assert.Equal(exact.Count, answer.Count);
                Assert.All(answer, id => Assert.Equal(tenant, _rows[id].Tenant));
                hits += answer.Count(exact.Contains);
                expected += exact.Count;
            }

            Assert.True(hits / expected >= 0.9, $"after {after}: recall@{K} {hits / expected:0.000} in partition {tenant?.ToString() ?? "NULL"}");
        }
    }

    private void InsertMany(SqliteConnection c, int dimension, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var id = _nextId++;
            var tenant = Tenants[_random.Next(Tenants.Length)];
            var row = (Vector(dimension), tenant, Lang: $"l{id % 5}");
            _rows[id] = row;
            c.Execute("INSERT INTO t(rowid, vector, lang, tenant) VALUES ($id, $v, $l, $t)", ("$id", id), ("$v", DiskAnnVector.ToBlob(row.Item1)), ("$l", row.Lang), ("$t", tenant));
        }
    }

    private float[] Vector(int dimension) => SqlHelpers.Gaussian(_random, dimension, 1f);
}
