using DiskAnn;
using DiskAnn.Filters;
using DiskAnn.Graph;

namespace DiskAnn.Native.Tests;

/// <summary>
/// The search confined to one partition of a PARTITION KEY table (VamanaIndex.ConfinedGreedySearch) follows only edges
/// between rows of the partition. A row no such edge reaches from where the search starts would never be returned by
/// a query of its partition; the starts therefore include every row a walk over the partition's edges does not reach.
/// </summary>
public sealed class ConfinedSearchTests
{
    private const int Dimension = 8;

    [Fact]
    public void A_row_no_edge_of_its_partition_reaches_is_still_found()
    {
        var options = new GraphOptions(Dimension, DiskAnnMetric.L2, 16, 64, 1.2f, 32)
        {
            FilterColumns = [new FilterColumn("tenant", FilterType.Integer, PartitionKey: true), new FilterColumn("n", FilterType.Integer, PartitionKey: false)],
        };
        var index = new VamanaIndex(options, new NodeStore(options, chunkSlots: 64));
        index.AfterLoad(-1, []);
        var random = new Random(3);
        var vectors = new Dictionary<long, float[]>();
        // Eight partitions of 500 rows: at list size 10 a partition is too large to scan (more than
        // sqrt(10 * 4,000 * R / 4) = 400 rows) and too small a share for the widened beam of the whole graph (under 15%).
        for (var id = 1L; id <= 4_000; id++)
        {
            vectors[id] = [.. Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble())];
            index.Add(id, vectors[id], [FilterValue.FromInteger(id % 8), FilterValue.FromInteger(id % 5)]);
        }

        index.LinkPending();
        var predicate = new RowPredicate(index.Nodes.Filters!, [(0, new FilterCondition(FilterOp.Equal, FilterValue.FromInteger(1)))]);

        // The partition and another column: the walk confined to the partition that tests the rest on each row (the
        // rows that pass are too many to scan at this list size).
        var both = new RowPredicate(index.Nodes.Filters!, [(0, new FilterCondition(FilterOp.Equal, FilterValue.FromInteger(1))), (1, new FilterCondition(FilterOp.AtLeast, FilterValue.FromInteger(0)))]);
        var rowids = new long[10];
        var distances = new float[10];

        // Found by its own vector while the partition's rows link to it.
        var target = vectors.Keys.Where(id => id % 8 == 1).ElementAt(213); // not one of the evenly spaced starts
        Assert.True(index.TryGetSlot(target, out var slot));
        Assert.Equal(1, index.Search(vectors[target], 1, 10, null, predicate, rowids, distances));
        Assert.Equal(target, rowids[0]);

        // Every edge from a row of its partition to it removed (as pruning and deletes can leave it); edges from the
        // other partitions stay, so the graph as a whole still reaches it.
        var nodes = index.Nodes;
        var cut = 0;
        for (var s = 0; s < nodes.SlotCount; s++)
        {
            if (nodes.State(s) == NodeState.Linked && nodes.Filters!.InPartition(s, 1) && nodes.Neighbors(s).Contains(slot))
            {
                nodes.SetNeighbors(s, [.. nodes.Neighbors(s).ToArray().Where(n => n != slot)]);
                index.MarkDirty(s);
                cut++;
            }
        }

        Assert.True(cut > 0);
        for (var round = 0; round < 2; round++)
        {
            foreach (var p in new[] { predicate, both })
            {
                Assert.Equal(1, index.Search(vectors[target], 1, 10, null, p, rowids, distances));
                Assert.Equal(target, rowids[0]);
                Assert.Equal(0f, distances[0]);
            }
        }

        // Queries near it find it among their nearest, as a scan of the partition does.
        foreach (var id in vectors.Keys.Where(id => id % 8 == 1).Take(50))
        {
            var query = vectors[id];
            var exact = vectors.Where(v => v.Key % 8 == 1).OrderBy(v => L2(query, v.Value)).Take(10).Select(v => v.Key).ToList();
            var found = index.Search(query, 10, 20, null, predicate, rowids, distances);
            Assert.Equal(10, found);
            Assert.All(rowids, r => Assert.Equal(1, r % 8));
            if (exact.Contains(target))
            {
                Assert.Contains(target, rowids);
            }
        }
    }

    private static float L2(float[] a, float[] b) => a.Zip(b, (x, y) => (x - y) * (x - y)).Sum();
}
