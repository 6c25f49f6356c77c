using DiskAnn;
using DiskAnn.Graph;

namespace DiskAnn.Native.Tests;

/// <summary>
/// The sketches a scan preselects with (Graph/BinarySketches.cs) are derived from the codes: they follow every write
/// of a vector after they were built, a fork's writes stay the fork's, and the Hamming distance counts the dimensions
/// on opposite sides of the centre (checked against a count done by hand).
/// </summary>
public sealed class BinarySketchesTests
{
    private const int Dimension = 200; // not a multiple of 64: the last word is partly used, and one word is padding

    private static float[] Vector(Random random) => [.. Enumerable.Range(0, Dimension).Select(_ => (float)((random.NextDouble() * 2) - 1))];

    private static NodeStore Store(Random random, int slots)
    {
        var store = new NodeStore(Dimension, 8, 64, DiskAnnMetric.L2, DiskAnnQuantization.None);
        store.EnsureSlots(slots);
        for (var slot = 0; slot < slots; slot++)
        {
            store.SetHeader(slot, slot + 1, NodeState.Linked);
            store.SetVector(slot, Vector(random));
        }

        return store;
    }

    /// <summary>The sketch distance between a query and a slot, counted dimension by dimension from the decoded vector.</summary>
    private static int ByHand(NodeStore store, BinarySketches sketches, float[] query, int slot, float[] centre)
    {
        var decoded = new float[Dimension];
        store.Decode(slot, decoded);
        return Enumerable.Range(0, Dimension).Count(d => (query[d] > centre[d]) != (decoded[d] > centre[d]));
    }

    private static float[] Centre(NodeStore store, int slots)
    {
        var centre = new float[Dimension];
        var decoded = new float[Dimension];
        for (var slot = 0; slot < slots; slot++)
        {
            store.Decode(slot, decoded);
            for (var d = 0; d < Dimension; d++)
            {
                centre[d] += decoded[d] / slots;
            }
        }

        return centre;
    }

    [Fact]
    public void Hamming_counts_the_dimensions_on_opposite_sides_of_the_centre_and_follows_later_writes()
    {
        var random = new Random(4);
        var store = Store(random, 300);
        var sketches = store.Sketches(300)!;
        Assert.Equal(4, sketches.WordsPerSlot);
        var centre = Centre(store, 300);

        var query = Vector(random);
        var sketch = new ulong[sketches.WordsPerSlot];
        sketches.SketchQuery(query, 1f, sketch);
        foreach (var slot in new[] { 0, 63, 64, 150, 299 })
        {
            // The centre is the mean of decoded values, so a dimension within rounding of it may fall either way.
            Assert.InRange(sketches.Hamming(sketch, slot), ByHand(store, sketches, query, slot, centre) - 2, ByHand(store, sketches, query, slot, centre) + 2);
        }

        // A vector written after the sketches were built, and one copied: their sketches are the new vector's.
        store.EnsureSlots(400);
        store.SetHeader(350, 351, NodeState.Linked);
        store.SetVector(350, query);
        Assert.InRange(sketches.Hamming(sketch, 350), 0, 2);
        store.CopyVector(350, 10);
        Assert.InRange(sketches.Hamming(sketch, 10), 0, 2);
    }

    [Fact]
    public void A_fork_writes_its_own_sketches()
    {
        var random = new Random(5);
        var origin = Store(random, 300);
        var sketches = origin.Sketches(300)!;
        var query = Vector(random);
        var sketch = new ulong[sketches.WordsPerSlot];
        sketches.SketchQuery(query, 1f, sketch);
        var before = sketches.Hamming(sketch, 7);

        var fork = origin.Fork();
        fork.SetVector(7, query);
        Assert.InRange(fork.Sketches(300)!.Hamming(sketch, 7), 0, 2);
        Assert.Equal(before, sketches.Hamming(sketch, 7));
        Assert.True(before > 20, $"a random vector's sketch should differ from the query's in many bits ({before})");
    }

    [Fact]
    public void A_few_rows_get_no_sketches_and_a_table_that_doubled_gets_a_new_centre()
    {
        var random = new Random(6);
        var store = Store(random, NodeStore.MinimumSketchRows - 1);
        Assert.Null(store.Sketches(NodeStore.MinimumSketchRows - 1));

        store.EnsureSlots(700);
        for (var slot = NodeStore.MinimumSketchRows - 1; slot < 300; slot++)
        {
            store.SetHeader(slot, slot + 1, NodeState.Linked);
            store.SetVector(slot, Vector(random));
        }

        var first = store.Sketches(300)!;
        Assert.Equal(300, first.Rows);
        Assert.Same(first, store.Sketches(600));

        // Rows shifted away from the first centre (all positive now): the sketches are made again around the new mean.
        for (var slot = 300; slot < 700; slot++)
        {
            store.SetHeader(slot, slot + 1, NodeState.Linked);
            store.SetVector(slot, [.. Vector(random).Select(v => Math.Abs(v) + 2)]);
        }

        var second = store.Sketches(700)!;
        Assert.NotSame(first, second);
        Assert.Equal(700, second.Rows);
        Assert.Same(second, store.Sketches(700));
    }
}
