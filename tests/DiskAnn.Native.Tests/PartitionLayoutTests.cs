using DiskAnn;
using DiskAnn.Filters;
using DiskAnn.Graph;

namespace DiskAnn.Native.Tests;

/// <summary>
/// On a PARTITION KEY table, a batch of rows linked at once is laid out partition by partition in the batch's slots
/// (VamanaIndex.GroupPendingByPartition), so that a search confined to one partition reads a compact part of memory.
/// Rows move between slots for that: each must keep its own vector, rowid and filter values, its partition must list
/// exactly its slots, and searches must find what a brute-force scan of the rows finds.
/// </summary>
public sealed class PartitionLayoutTests
{
    private const int Dimension = 8;

    [Fact]
    public void A_batch_is_laid_out_partition_by_partition_and_every_row_keeps_its_vector_and_values()
    {
        var (index, rows) = Build(rowCount: 1_500, firstId: 1);
        index.LinkPending();

        AssertRowsIntact(index, rows);

        // The batch's slots hold its rows partition by partition: NULL first, then by key.
        Assert.True(Grouped(index), "the batch's rows are not laid out partition by partition");

        AssertSearchesMatchBruteForce(index, rows);
    }

    [Fact]
    public void A_second_batch_is_grouped_in_its_own_slots_and_leaves_the_linked_rows_where_they_are()
    {
        var (index, rows) = Build(rowCount: 800, firstId: 1);
        index.LinkPending();
        var linkedSlots = rows.Keys.ToDictionary(id => id, id => index.TryGetSlot(id, out var slot) ? slot : -1);

        // Some rows deleted (their slots reused by the next batch), then a second batch.
        foreach (var id in rows.Keys.Where(id => id % 7 == 0).ToList())
        {
            index.Remove(id);
            rows.Remove(id);
            linkedSlots.Remove(id);
        }

        index.ConsolidateDeletes();
        var (_, more) = Build(rowCount: 700, firstId: 10_000, index);
        index.LinkPending();
        foreach (var (id, row) in more)
        {
            rows[id] = row;
        }

        foreach (var (id, slot) in linkedSlots)
        {
            Assert.True(index.TryGetSlot(id, out var now));
            Assert.Equal(slot, now);
        }

        AssertRowsIntact(index, rows);
        AssertSearchesMatchBruteForce(index, rows);
    }

    [Fact]
    public void A_batch_of_fewer_than_16_rows_stays_in_its_slots()
    {
        var (index, rows) = Build(rowCount: 15, firstId: 1);
        var before = rows.Keys.ToDictionary(id => id, id => index.TryGetSlot(id, out var slot) ? slot : -1);
        index.LinkPending();
        foreach (var (id, slot) in before)
        {
            Assert.True(index.TryGetSlot(id, out var now));
            Assert.Equal(slot, now);
        }

        Assert.Empty(index.MovedSlots);
        AssertRowsIntact(index, rows);
    }

    [Fact]
    public void Rows_trickled_in_stay_where_they_arrive_until_a_rebuild_lays_them_out()
    {
        var (index, rows) = Build(rowCount: 10, firstId: 1);
        index.LinkPending();
        for (var first = 11L; first < 600; first += 10)
        {
            var (_, more) = Build(rowCount: 10, firstId: first, index);
            index.LinkPending();
            foreach (var (id, row) in more)
            {
                rows[id] = row;
            }
        }

        Assert.False(Grouped(index), "rows linked ten at a time were moved");
        AssertRowsIntact(index, rows);

        index.Rebuild();
        Assert.True(Grouped(index), "'rebuild' left the rows where they were");
        AssertRowsIntact(index, rows);
        AssertSearchesMatchBruteForce(index, rows);
    }

    /// <summary>Whether the live rows lie partition by partition in slot order (NULL first).</summary>
    private static bool Grouped(VamanaIndex index)
    {
        var keys = Enumerable.Range(0, index.Nodes.SlotCount)
            .Where(slot => index.Nodes.State(slot) == NodeState.Linked)
            .Select(slot => index.Nodes.Filters!.PartitionOf(slot))
            .ToList();
        return keys.Zip(keys.Skip(1)).All(pair => Nullable.Compare(pair.First, pair.Second) <= 0);
    }

    private static (VamanaIndex Index, Dictionary<long, (float[] Vector, long? Tenant, long N)> Rows) Build(int rowCount, long firstId, VamanaIndex? into = null)
    {
        var options = new GraphOptions(Dimension, DiskAnnMetric.L2, 16, 64, 1.2f, 32)
        {
            FilterColumns = [new FilterColumn("n", FilterType.Integer, PartitionKey: false), new FilterColumn("tenant", FilterType.Integer, PartitionKey: true)],
        };
        var index = into;
        if (index is null)
        {
            index = new VamanaIndex(options, new NodeStore(options, chunkSlots: 64));
            index.AfterLoad(-1, []);
        }

        var random = new Random((int)firstId);
        var rows = new Dictionary<long, (float[] Vector, long? Tenant, long N)>();
        for (var id = firstId; id < firstId + rowCount; id++)
        {
            // Interleaved: four large partitions, NULL, and small ones, as rows of many tenants arrive.
            long? tenant = (id % 10) switch
            {
                < 2 => 1,
                < 4 => 2,
                < 6 => 3,
                < 7 => 4,
                < 8 => null,
                _ => 100 + (id % 13),
            };
            var vector = Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble()).ToArray();
            var n = id * 3;
            rows[id] = (vector, tenant, n);
            index.Add(id, vector, [FilterValue.FromInteger(n), tenant is { } t ? FilterValue.FromInteger(t) : FilterValue.Null]);
        }

        return (index, rows);
    }

    private static void AssertRowsIntact(VamanaIndex index, Dictionary<long, (float[] Vector, long? Tenant, long N)> rows)
    {
        var nodes = index.Nodes;
        var filters = nodes.Filters!;
        Assert.Equal(rows.Count, index.LiveCount);
        foreach (var (id, row) in rows)
        {
            Assert.True(index.TryGetSlot(id, out var slot), $"rowid {id} has no slot");
            Assert.Equal(id, nodes.RowId(slot));
            Assert.Equal(row.Vector, nodes.Vector(slot).ToArray());
            Assert.Equal(row.N, filters.Get(slot, 0).Integer);
            Assert.Equal(row.Tenant, filters.PartitionOf(slot));
        }

        foreach (var tenant in rows.Values.Select(r => r.Tenant).Distinct())
        {
            var expected = rows.Where(r => r.Value.Tenant == tenant).Select(r => index.TryGetSlot(r.Key, out var slot) ? slot : -1).Order();
            Assert.Equal(expected, filters.Partitions!.Slots(tenant).Order());
        }
    }

    private static void AssertSearchesMatchBruteForce(VamanaIndex index, Dictionary<long, (float[] Vector, long? Tenant, long N)> rows)
    {
        var rowids = new long[10];
        var distances = new float[10];
        var random = new Random(5);
        foreach (long? tenant in new long?[] { 1, 2, 3, null })
        {
            var condition = tenant is { } t ? new FilterCondition(FilterOp.Equal, FilterValue.FromInteger(t)) : new FilterCondition(FilterOp.IsNull, FilterValue.Null);
            var predicate = new RowPredicate(index.Nodes.Filters!, [(1, condition)]);
            double hits = 0, wanted = 0;
            for (var q = 0; q < 30; q++)
            {
                var query = Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble()).ToArray();
                var exact = rows.Where(r => r.Value.Tenant == tenant).OrderBy(r => L2(query, r.Value.Vector)).Take(10).Select(r => r.Key).ToHashSet();
                var found = index.Search(query, 10, 40, null, predicate, rowids, distances);
                Assert.Equal(exact.Count, found);
                Assert.All(rowids[..found], id => Assert.Equal(tenant, rows[id].Tenant));
                hits += rowids[..found].Count(exact.Contains);
                wanted += exact.Count;
            }

            Assert.True(hits / wanted >= 0.95, $"partition {tenant?.ToString() ?? "NULL"}: recall {hits / wanted:0.000} against the exact top 10");
        }

        // The whole table, and every row by its own vector.
        foreach (var (id, row) in rows.Take(300))
        {
            Assert.Equal(1, index.Search(row.Vector, 1, 40, null, null, rowids, distances));
            Assert.Equal(0f, distances[0]);
            Assert.Equal(row.Vector, rows[rowids[0]].Vector);
        }
    }

    private static float L2(float[] a, float[] b) => a.Zip(b, (x, y) => (x - y) * (x - y)).Sum();
}
