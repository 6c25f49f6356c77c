using DiskAnn;
using DiskAnn.Graph;

namespace EFCore.DiskAnn.Tests.Native;

/// <summary>The vector cache budget: what is held stays under it, and what was dropped comes back unchanged.</summary>
public sealed class NodeStoreCacheTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_budgeted_store_holds_at_most_its_budget_and_reads_back_what_it_dropped(bool int8)
    {
        var encoding = int8 ? DiskAnnQuantization.Int8 : DiskAnnQuantization.None;
        const int dimension = 16;
        const int chunkSlots = 8;
        const int chunks = 20;
        var random = new Random(3);
        var vectors = Enumerable.Range(0, chunkSlots * chunks)
            .Select(_ => Enumerable.Range(0, dimension).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray()).ToArray();

        // What the shadow table would hold: the same vectors written by an unbudgeted store.
        var source = new NodeStore(dimension, 4, chunkSlots, DiskAnnMetric.Cosine, encoding);
        source.EnsureSlots(vectors.Length);
        for (var slot = 0; slot < vectors.Length; slot++)
        {
            source.SetVector(slot, vectors[slot]);
        }

        var stored = new byte[chunks][];
        for (var chunk = 0; chunk < chunks; chunk++)
        {
            stored[chunk] = new byte[chunkSlots * source.StoredVectorBytes];
            for (var i = 0; i < chunkSlots; i++)
            {
                source.WriteStoredVector((chunk * chunkSlots) + i, stored[chunk].AsSpan(i * source.StoredVectorBytes, source.StoredVectorBytes));
            }
        }

        var chunkBytes = chunkSlots * dimension * (encoding == DiskAnnQuantization.Int8 ? 1 : 4);
        var budget = 3L * chunkBytes;
        var store = new NodeStore(dimension, 4, chunkSlots, DiskAnnMetric.Cosine, encoding);
        store.EnsureSlots(vectors.Length, resident: false);
        if (!int8)
        {
            // As a budgeted load does: the float32 vectors pass through once to derive the in-memory codes.
            for (var chunk = 0; chunk < chunks; chunk++)
            {
                store.LoadCodesOnly(chunk, stored[chunk]);
            }
        }

        store.UseBudget(budget, (chunk, destination) => stored[chunk].CopyTo(destination));
        Assert.Equal(0, store.ResidentVectorBytes);
        Assert.True(store.ParallelSafe == !int8, "a budgeted float32 store navigates with resident codes only");

        var query = vectors[5];
        var inverse = global::DiskAnn.Distance.VectorMath.InverseNorm(query);
        for (var round = 0; round < 3; round++)
        {
            foreach (var slot in Enumerable.Range(0, vectors.Length).OrderBy(_ => random.Next()))
            {
                Assert.Equal(source.Distance(query, inverse, slot), store.Distance(query, inverse, slot));
                Assert.Equal(source.Distance(slot, 7), store.Distance(slot, 7));
                Assert.Equal(source.ExactDistance(query, inverse, slot), store.ExactDistance(query, inverse, slot));
                Assert.InRange(store.ResidentVectorBytes, chunkBytes, budget);
            }
        }

        Assert.True(store.ChunkReads > chunks, $"{store.ChunkReads} chunk reads: chunks were dropped and read again");
    }
}
