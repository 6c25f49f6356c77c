using DiskAnn;
using DiskAnn.Graph;

namespace DiskAnn.Native.Tests;

/// <summary>The vector cache budget: what is held stays under it, and what was dropped comes back unchanged.</summary>
public sealed class NodeStoreCacheTests
{
    /// <summary>Vectors and the BLOBs the vectors shadow table would hold for them, written by an unbudgeted store.</summary>
    private static (NodeStore Source, float[][] Vectors, byte[][] Stored) Stored(DiskAnnQuantization encoding, int dimension, int chunkSlots, int chunks)
    {
        var random = new Random(3);
        var vectors = Enumerable.Range(0, chunkSlots * chunks)
            .Select(_ => Enumerable.Range(0, dimension).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray()).ToArray();
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
                source.WriteStoredVector((chunk * ChunkSlots) + i, stored[chunk].AsSpan(i * source.StoredVectorBytes, source.StoredVectorBytes));
            }
        }

        return (source, vectors, stored);
    }

    /// <summary>A store loaded under a budget as ChunkStore.Load does, reading back from <paramref name="stored"/>.</summary>
    private static NodeStore Budgeted(DiskAnnQuantization encoding, int dimension, int chunkSlots, byte[][] stored, long budget, object table)
    {
        var store = new NodeStore(dimension, 4, chunkSlots, DiskAnnMetric.Cosine, encoding) { ChunkSource = table };
        store.EnsureSlots(chunkSlots * stored.Length, resident: false);
        if (encoding == DiskAnnQuantization.None)
        {
            // As a budgeted load does: the float32 vectors pass through once to derive the in-memory codes.
            for (var chunk = 0; chunk < stored.Length; chunk++)
            {
                store.LoadCodesOnly(chunk, stored[chunk]);
            }
        }

        store.UseBudget(budget);
        return store;
    }

    private const int ChunkSlots = 8;

    /// <summary>An unbudgeted store, its stored chunks, and a store loaded from them under a budget of some chunks.</summary>
    private static (NodeStore Source, float[][] Vectors, byte[][] Stored, NodeStore Store, int ChunkBytes, long Budget) Setup(bool int8, int dimension, int chunks, int budgetChunks, object table)
    {
        var encoding = int8 ? DiskAnnQuantization.Int8 : DiskAnnQuantization.None;
        var (source, vectors, stored) = Stored(encoding, dimension, ChunkSlots, chunks);
        var chunkBytes = ChunkSlots * dimension * (int8 ? 1 : 4);
        var budget = (long)budgetChunks * chunkBytes;
        return (source, vectors, stored, Budgeted(encoding, dimension, ChunkSlots, stored, budget, table), chunkBytes, budget);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_budgeted_store_holds_at_most_its_budget_and_reads_back_what_it_dropped(bool int8)
    {
        const int chunks = 20;
        var table = new object();
        var (source, vectors, stored, store, chunkBytes, budget) = Setup(int8, dimension: 16, chunks, budgetChunks: 3, table);
        var reader = new Reader(stored, table);
        Assert.Equal(0, store.ResidentVectorBytes);
        Assert.True(store.ParallelSafe == !int8, "a budgeted float32 store navigates with resident codes only");

        // No reader on this thread: a chunk not in memory cannot be read.
        var query = vectors[5];
        var inverse = global::DiskAnn.Distance.VectorMath.InverseNorm(query);
        Assert.Throws<InvalidOperationException>(() => store.ExactDistance(query, inverse, 3));

        using var reading = NodeStore.ReadThrough(reader);
        var random = new Random(4);
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

        // Another table's reader on this thread is refused rather than read: every chunk not in memory fails.
        var reads = store.ChunkReads;
        var refused = 0;
        using (NodeStore.ReadThrough(new Reader(stored)))
        {
            for (var chunk = 0; chunk < chunks; chunk++)
            {
                try
                {
                    store.ExactDistance(query, inverse, chunk * ChunkSlots);
                }
                catch (InvalidOperationException)
                {
                    refused++;
                }
            }
        }

        Assert.InRange(refused, chunks - 3, chunks);
        Assert.Equal(reads, store.ChunkReads);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Threads_searching_one_budgeted_store_and_its_fork_read_exactly_what_an_unbudgeted_one_holds(bool int8)
    {
        const int chunks = 64;
        var table = new object();
        var (source, vectors, stored, store, chunkBytes, budget) = Setup(int8, dimension: 32, chunks, budgetChunks: 4, table);

        // Readers on every thread, each through its own reader (a connection of its own), while a fork of the store is
        // read and dropped apart on another: every distance is the unbudgeted store's.
        var fork = store.Fork();
        var failures = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            var mine = worker == 7 ? fork : store;
            using var reading = NodeStore.ReadThrough(new Reader(stored, table));
            var random = new Random(worker);
            for (var i = 0; i < 3000; i++)
            {
                var slot = random.Next(vectors.Length);
                var query = vectors[random.Next(vectors.Length)];
                var inverse = global::DiskAnn.Distance.VectorMath.InverseNorm(query);
                mine.Prefetch(slot);
                if (source.ExactDistance(query, inverse, slot) != mine.ExactDistance(query, inverse, slot)
                    || source.Distance(slot, (slot * 7) % vectors.Length) != mine.Distance(slot, (slot * 7) % vectors.Length))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });

        Assert.Equal(0, failures);
        Assert.InRange(store.ResidentVectorBytes, chunkBytes, budget);
        Assert.InRange(fork.ResidentVectorBytes, chunkBytes, budget);
        Assert.True(store.ChunkReads > chunks, $"{store.ChunkReads} chunk reads");
    }

    /// <summary>A connection's read-back: the stored chunks of one table.</summary>
    private sealed class Reader(byte[][] stored, object? table = null) : IChunkReader
    {
        public object Source { get; } = table ?? new object();

        public void ReadVectorChunk(int chunk, Span<byte> destination) => stored[chunk].CopyTo(destination);
    }
}
