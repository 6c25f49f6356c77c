using DiskAnn;
using DiskAnn.Graph;

namespace DiskAnn.Native.Tests;

/// <summary>
/// A filtered query whose widened beam holds too few passing rows goes on with a longer list instead of starting over
/// (VamanaIndex.WidenBeam): the candidates the shorter list dropped must come back, or the longer list would hold
/// nothing the shorter one had not already expanded.
/// </summary>
public sealed class WidenBeamTests
{
    private const int Dimension = 8;

    [Fact]
    public void A_widened_beam_finds_what_a_search_with_the_longer_list_from_the_start_finds()
    {
        var random = new Random(11);
        var (index, vectors) = RandomIndex(random);
        var scratch = new SearchScratch();
        double shortHits = 0, widenedHits = 0, freshHits = 0;
        const int Queries = 100, K = 40, Short = 8, Long = 80;
        for (var q = 0; q < Queries; q++)
        {
            float[] query = [.. Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble())];
            var exact = Enumerable.Range(0, vectors.Count).OrderBy(i => L2(query, vectors[i])).Take(K).Select(i => i + 1L).ToHashSet();

            index.GreedySearch(query, 0f, Short, scratch, recordExpanded: false, growable: true);
            shortHits += Hits(index, scratch, exact);
            index.WidenBeam(query, 0f, Long, scratch);
            AssertSortedAndDistinct(scratch);
            Assert.Equal(Long, scratch.PoolCount);
            widenedHits += Hits(index, scratch, exact);

            index.GreedySearch(query, 0f, Long, scratch, recordExpanded: false);
            freshHits += Hits(index, scratch, exact);
        }

        // The short list cannot hold the 40 nearest; the widened one finds about what the long list finds from the start.
        Assert.True(shortHits / (Queries * K) < 0.25, $"short list recall {shortHits / (Queries * K):0.000}");
        Assert.True(widenedHits / (Queries * K) > 0.9, $"widened recall {widenedHits / (Queries * K):0.000}");
        Assert.True(widenedHits >= freshHits * 0.97, $"widened {widenedHits} vs fresh {freshHits}");
    }

    [Fact]
    public void A_filtered_walk_resumed_from_a_beam_far_from_the_passing_rows_finds_their_nearest()
    {
        var random = new Random(13);
        var (index, vectors) = RandomIndex(random);

        // The rows that pass lie in one corner of the space (a filter correlated with the vectors), the queries in the other.
        bool Passes(int slot) => vectors[(int)index.Nodes.RowId(slot) - 1][0] > 0.9f;
        var scratch = new SearchScratch();
        double resumedHits = 0, freshHits = 0;
        const int Queries = 50, K = 10, List = 20;
        for (var q = 0; q < Queries; q++)
        {
            float[] query = [.. Enumerable.Range(0, Dimension).Select(d => (float)random.NextDouble() * (d == 0 ? 0.2f : 1f))];
            var exact = Enumerable.Range(0, vectors.Count).Where(i => vectors[i][0] > 0.9f).OrderBy(i => L2(query, vectors[i])).Take(K).Select(i => i + 1L).ToHashSet();

            index.GreedySearch(query, 0f, List, scratch, recordExpanded: false, growable: true);
            Assert.True(CountPassing(scratch, Passes) < K, "the beam alone found the passing rows: the query is not far from them");
            index.ResumeAsWalk(query, 0f, List, Passes, VamanaIndex.ResumedWalkFailingPenalty, scratch);
            Assert.Equal(List, scratch.PoolCount);
            for (var i = 0; i < scratch.PoolCount; i++)
            {
                Assert.True(Passes(scratch.Pool[i].Slot), "a row that does not pass in the walk's list");
            }

            resumedHits += Hits(index, scratch, exact, K);

            index.FilteredGreedySearch(query, 0f, List, Passes, null, scratch);
            freshHits += Hits(index, scratch, exact, K);
        }

        Assert.True(resumedHits / (Queries * K) > 0.95, $"resumed walk recall {resumedHits / (Queries * K):0.000}");
        Assert.True(resumedHits >= freshHits * 0.98, $"resumed {resumedHits} vs a walk from the entry point {freshHits}");
    }

    [Fact]
    public void Growing_the_list_brings_back_the_nearest_dropped_candidates_in_order()
    {
        var scratch = new SearchScratch();
        scratch.Begin(1_000, 3);
        scratch.KeepDropped = true;
        var random = new Random(5);
        var distances = Enumerable.Range(0, 500).Select(i => (Slot: i, Distance: (float)random.NextDouble())).ToArray();
        foreach (var (slot, distance) in distances)
        {
            scratch.Offer(slot, distance);
        }

        scratch.Grow(40);
        var expected = distances.OrderBy(d => d.Distance).Take(40).Select(d => d.Slot).ToArray();
        Assert.Equal(expected, Enumerable.Range(0, scratch.PoolCount).Select(i => scratch.Pool[i].Slot).ToArray());

        // Growing again takes the next nearest of those still dropped.
        scratch.Grow(100);
        expected = distances.OrderBy(d => d.Distance).Take(100).Select(d => d.Slot).ToArray();
        Assert.Equal(expected, Enumerable.Range(0, scratch.PoolCount).Select(i => scratch.Pool[i].Slot).ToArray());
    }

    /// <summary>3,000 uniform random rows, linked.</summary>
    private static (VamanaIndex Index, List<float[]> Vectors) RandomIndex(Random random)
    {
        var options = new GraphOptions(Dimension, DiskAnnMetric.L2, 16, 64, 1.2f, 32);
        var index = new VamanaIndex(options, new NodeStore(options, chunkSlots: 64));
        index.AfterLoad(-1, []);
        var vectors = new List<float[]>();
        for (var id = 1L; id <= 3_000; id++)
        {
            vectors.Add([.. Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble())]);
            index.Add(id, vectors[^1]);
        }

        index.LinkPending();
        return (index, vectors);
    }

    private static int CountPassing(SearchScratch scratch, Func<int, bool> passes)
    {
        var count = 0;
        for (var i = 0; i < scratch.PoolCount; i++)
        {
            count += passes(scratch.Pool[i].Slot) ? 1 : 0;
        }

        return count;
    }

    private static int Hits(VamanaIndex index, SearchScratch scratch, HashSet<long> exact, int first = int.MaxValue)
    {
        var hits = 0;
        for (var i = 0; i < Math.Min(first, scratch.PoolCount); i++)
        {
            hits += exact.Contains(index.Nodes.RowId(scratch.Pool[i].Slot)) ? 1 : 0;
        }

        return hits;
    }

    private static void AssertSortedAndDistinct(SearchScratch scratch)
    {
        var seen = new HashSet<int>();
        for (var i = 0; i < scratch.PoolCount; i++)
        {
            Assert.True(seen.Add(scratch.Pool[i].Slot), "a row twice in the list");
            Assert.True(i == 0 || scratch.Pool[i - 1].Distance <= scratch.Pool[i].Distance, "the list out of order");
            Assert.True(scratch.Pool[i].Expanded, "a row of the list left unexpanded");
        }
    }

    private static float L2(float[] a, float[] b)
    {
        var sum = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (a[i] - b[i]) * (a[i] - b[i]);
        }

        return sum;
    }
}
