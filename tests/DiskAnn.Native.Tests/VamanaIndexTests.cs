using DiskAnn;
using DiskAnn.Graph;
using DiskAnn.VirtualTable;

namespace DiskAnn.Native.Tests;

/// <summary>The graph on its own, in memory, without SQLite: its invariants after builds, deletes and compaction.</summary>
public sealed class VamanaIndexTests
{
    private static VamanaIndex Build(int count, int dimension, DiskAnnMetric metric, int seed, out float[][] vectors, int maxDegree = 16)
    {
        var options = new GraphOptions(dimension, metric, maxDegree, 64, 1.2f, 32);
        var index = new VamanaIndex(options, new NodeStore(options, chunkSlots: 64));
        index.AfterLoad(-1, []);
        var random = new Random(seed);
        vectors = new float[count][];
        for (var i = 0; i < count; i++)
        {
            vectors[i] = Enumerable.Range(0, dimension).Select(_ => (float)random.NextDouble()).ToArray();
            index.Add(i + 1, vectors[i]);
        }

        index.LinkPending();
        return index;
    }

    private static void AssertInvariants(VamanaIndex index)
    {
        // The support counts kept while the graph changed must each be a proof: never more than the edges that
        // come from a lower level, and above zero for every node but the roots.
        var nodes = index.Nodes;
        var roots = index.Seeds.Append(index.Entry).ToHashSet();
        var supports = new int[nodes.SlotCount];
        for (var slot = 0; slot < nodes.SlotCount; slot++)
        {
            if (nodes.InGraph(slot))
            {
                foreach (var target in nodes.Neighbors(slot))
                {
                    if (nodes.Level(slot) < nodes.Level(target))
                    {
                        supports[target]++;
                    }
                }
            }
        }

        for (var slot = 0; slot < nodes.SlotCount; slot++)
        {
            if (nodes.State(slot) == NodeState.Linked && !roots.Contains(slot))
            {
                Assert.True(nodes.Support(slot) > 0, $"slot {slot} has no counted support");
                Assert.True(nodes.Support(slot) <= supports[slot], $"slot {slot} counts {nodes.Support(slot)} supports of {supports[slot]}");
            }

            Assert.True(nodes.Degree(slot) <= nodes.Capacity);
        }

        Assert.Empty(IntegrityCheck.Run(nodes, index.Entry, index.Seeds));
    }

    private static long Nearest(VamanaIndex index, float[] query)
    {
        var scratch = index.RentScratch();
        try
        {
            var inverse = index.Options.Metric == DiskAnnMetric.Cosine ? global::DiskAnn.Distance.VectorMath.InverseNorm(query) : 0f;
            index.GreedySearch(query, inverse, 32, scratch, recordExpanded: false);
            for (var i = 0; i < scratch.PoolCount; i++)
            {
                if (index.Nodes.State(scratch.Pool[i].Slot) == NodeState.Linked)
                {
                    return index.Nodes.RowId(scratch.Pool[i].Slot);
                }
            }

            return -1;
        }
        finally
        {
            index.ReturnScratch(scratch);
        }
    }

    [Fact]
    public void A_bulk_build_leaves_every_node_linked_with_an_in_edge_and_findable()
    {
        var index = Build(3000, 8, DiskAnnMetric.L2, seed: 1, out var vectors);
        AssertInvariants(index);
        Assert.Equal(0, index.PendingCount);
        var found = Enumerable.Range(0, vectors.Length).Count(i => Nearest(index, vectors[i]) == i + 1);
        Assert.True(found >= vectors.Length * 0.99, $"{found} of {vectors.Length} rows found by their own vector");
    }

    [Fact]
    public void Consolidation_removes_every_edge_to_deleted_nodes_and_frees_their_slots()
    {
        var index = Build(2000, 8, DiskAnnMetric.L2, seed: 2, out var vectors);
        for (var id = 1; id <= 2000; id += 3)
        {
            index.Remove(id);
        }

        Assert.True(index.DeletedCount > 0);
        index.ConsolidateDeletes();
        Assert.Equal(0, index.DeletedCount);
        AssertInvariants(index);
        for (var slot = 0; slot < index.Nodes.SlotCount; slot++)
        {
            foreach (var n in index.Nodes.Neighbors(slot))
            {
                Assert.Equal(NodeState.Linked, index.Nodes.State(n));
            }
        }

        var live = Enumerable.Range(1, 2000).Where(id => (id - 1) % 3 != 0).ToList();
        var found = live.Count(id => Nearest(index, vectors[id - 1]) == id);
        Assert.True(found >= live.Count * 0.98, $"{found} of {live.Count} rows found after consolidation");
    }

    [Fact]
    public void Compaction_moves_nodes_into_the_lowest_chunks_and_keeps_the_answers()
    {
        var index = Build(1000, 8, DiskAnnMetric.Cosine, seed: 3, out var vectors);
        var before = Enumerable.Range(0, 50).Select(i => Nearest(index, vectors[i * 20])).ToList();
        for (var id = 1; id <= 1000; id++)
        {
            if (id % 2 == 0)
            {
                index.Remove(id);
            }
        }

        index.Compact();
        AssertInvariants(index);
        Assert.Equal(500 / 64 + 1, index.Nodes.ChunkCount);
        for (var i = 0; i < 50; i++)
        {
            if ((i * 20 + 1) % 2 == 1)
            {
                Assert.Equal(before[i], Nearest(index, vectors[i * 20]));
            }
        }
    }

    [Fact]
    public void Options_parse_defaults_and_reject_what_is_unknown()
    {
        var options = TableOptions.Parse(["dimension=384"]);
        Assert.Equal(new GraphOptions(384, DiskAnnMetric.Cosine, 32, 100, 1.2f, 64), options);
        var tuned = TableOptions.Parse(["dimension = 3", "metric='dot'", " max_degree=8 ", "alpha=1.5", "search_list_size=9", "build_search_list_size=20"]);
        Assert.Equal(new GraphOptions(3, DiskAnnMetric.Dot, 8, 20, 1.5f, 9), tuned);
        var error = Assert.ThrowsAny<Exception>(() => TableOptions.Parse(["dimension=3", "ef_search=10"]));
        Assert.Contains("unknown option 'ef_search'", error.Message);
    }
}
