using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace DiskAnn.Graph;

/// <summary>
/// The in-memory mirror of the shadow tables: for each slot its vector, inverse norm, rowid, state and
/// adjacency list. Vectors and adjacency live in chunks of <see cref="ChunkSlots"/> slots, the same chunks
/// the shadow tables store as one BLOB each, so growth never copies the vectors already held.
/// </summary>
internal sealed class NodeStore
{
    private readonly int _chunkShift;
    private readonly int _chunkMask;
    private readonly List<float[]> _vectorChunks = [];
    private readonly List<int[]> _neighborChunks = [];
    private long[] _rowids = [];
    private NodeState[] _states = [];
    private ushort[] _degrees = [];
    private float[] _inverseNorms = [];
    private int[] _inDegrees = [];

    public NodeStore(int dimension, int maxDegree, int chunkSlots)
    {
        if (chunkSlots <= 0 || (chunkSlots & (chunkSlots - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSlots), "chunk size must be a power of two");
        }

        Dimension = dimension;
        MaxDegree = maxDegree;
        Capacity = maxDegree + ((maxDegree + 1) / 2);
        ChunkSlots = chunkSlots;
        _chunkShift = System.Numerics.BitOperations.Log2((uint)chunkSlots);
        _chunkMask = chunkSlots - 1;
    }

    public int Dimension { get; }

    /// <summary>Slots whose last in-edge was removed (some may have gained one again since).</summary>
    public System.Collections.Concurrent.ConcurrentBag<int> Orphans { get; } = [];

    /// <summary>R: the most edges a node keeps, and the room its stored record has.</summary>
    public int MaxDegree { get; }

    /// <summary>
    /// The room a list has, in memory and in its stored record: R plus half of R as slack. Back-edges are
    /// appended until a list is full, and only then is it pruned back to R (DiskANN's graph slack), so that
    /// a node's list is pruned once per R/2 new neighbours rather than at every one, in a bulk load and in
    /// single-row inserts alike.
    /// </summary>
    public int Capacity { get; }

    public int ChunkSlots { get; }

    /// <summary>Slots held: always whole chunks.</summary>
    public int SlotCount => _vectorChunks.Count * ChunkSlots;

    public int ChunkCount => _vectorChunks.Count;

    public long RowId(int slot) => _rowids[slot];

    public NodeState State(int slot) => _states[slot];

    public float InverseNorm(int slot) => _inverseNorms[slot];

    public int Degree(int slot) => _degrees[slot];

    /// <summary>How many edges point at the slot; kept by <see cref="SetNeighbors"/>, so it is never stored.</summary>
    public int InDegree(int slot) => _inDegrees[slot];

    public ReadOnlySpan<float> Vector(int slot)
        => _vectorChunks[slot >> _chunkShift].AsSpan((slot & _chunkMask) * Dimension, Dimension);

    /// <summary>
    /// Asks the CPU to start loading the first cache lines of a vector. A search knows which vectors it will
    /// read next (the unvisited neighbours of the node it expands); fetching them while the previous distances
    /// are computed hides most of the memory latency, which otherwise costs more than the arithmetic.
    /// </summary>
    public unsafe void Prefetch(int slot)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        var chunk = _vectorChunks[slot >> _chunkShift];
        var start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(chunk)) + ((slot & _chunkMask) * Dimension * sizeof(float));
        var bytes = Math.Min(Dimension * sizeof(float), 256);
        for (var offset = 0; offset < bytes; offset += 64)
        {
            Sse.Prefetch0(start + offset);
        }
    }

    public ReadOnlySpan<int> Neighbors(int slot)
        => _neighborChunks[slot >> _chunkShift].AsSpan((slot & _chunkMask) * Capacity, _degrees[slot]);

    /// <summary>The whole chunk arrays, for the storage layer's bulk load and write.</summary>
    public float[] VectorChunk(int chunk) => _vectorChunks[chunk];

    public void SetHeader(int slot, long rowid, NodeState state)
    {
        _rowids[slot] = rowid;
        _states[slot] = state;
    }

    public void SetState(int slot, NodeState state) => _states[slot] = state;

    public void SetVector(int slot, ReadOnlySpan<float> vector, float inverseNorm)
    {
        vector.CopyTo(_vectorChunks[slot >> _chunkShift].AsSpan((slot & _chunkMask) * Dimension, Dimension));
        _inverseNorms[slot] = inverseNorm;
    }

    public void SetInverseNorm(int slot, float inverseNorm) => _inverseNorms[slot] = inverseNorm;

    public void SetNeighbors(int slot, ReadOnlySpan<int> neighbors)
    {
        if (neighbors.Length > Capacity)
        {
            throw new InvalidOperationException($"degree {neighbors.Length} exceeds the list capacity {Capacity}");
        }

        // Parallel phases set different slots' lists, whose targets may coincide: hence the atomics.
        foreach (var old in Neighbors(slot))
        {
            if (Interlocked.Decrement(ref _inDegrees[old]) == 0)
            {
                Orphans.Add(old);
            }
        }

        foreach (var target in neighbors)
        {
            Interlocked.Increment(ref _inDegrees[target]);
        }

        neighbors.CopyTo(_neighborChunks[slot >> _chunkShift].AsSpan((slot & _chunkMask) * Capacity, Capacity));
        _degrees[slot] = (ushort)neighbors.Length;
    }

    /// <summary>Drops the chunks from <paramref name="chunkCount"/> on; the caller has emptied them.</summary>
    public void TruncateChunks(int chunkCount)
    {
        _vectorChunks.RemoveRange(chunkCount, _vectorChunks.Count - chunkCount);
        _neighborChunks.RemoveRange(chunkCount, _neighborChunks.Count - chunkCount);
    }

    /// <summary>Makes room for slots up to <paramref name="slotCount"/> (exclusive), adding whole chunks of free slots.</summary>
    public void EnsureSlots(int slotCount)
    {
        while (_vectorChunks.Count * ChunkSlots < slotCount)
        {
            // Pinned (allocated on the pinned object heap) so Prefetch can take a vector's address.
            _vectorChunks.Add(GC.AllocateArray<float>(ChunkSlots * Dimension, pinned: true));
            _neighborChunks.Add(new int[ChunkSlots * Capacity]);
        }

        var capacity = _vectorChunks.Count * ChunkSlots;
        if (_rowids.Length < capacity)
        {
            Array.Resize(ref _rowids, capacity);
            Array.Resize(ref _states, capacity);
            Array.Resize(ref _degrees, capacity);
            Array.Resize(ref _inverseNorms, capacity);
            Array.Resize(ref _inDegrees, capacity);
        }
    }
}
