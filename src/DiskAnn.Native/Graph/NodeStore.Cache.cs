using System.Buffers;
using System.Runtime.CompilerServices;

namespace DiskAnn.Graph;

/// <summary>
/// The vector cache budget (option <c>cache_size_mb</c>). Without one every chunk of vectors stays in memory.
/// With one, a loaded index starts with no vectors in memory; a chunk is read from the vectors shadow table the
/// first time a search touches it, and chunks not used lately (a clock sweep) are dropped to stay within the
/// budget. Dropping is always safe: every vector is written to the shadow table when it is stored, so the
/// copy in memory is never the only one. The adjacency lists and per-slot fields (about 12 + 4C bytes a node)
/// stay in memory; the budget bounds the vectors, which are most of the index.
/// </summary>
internal sealed partial class NodeStore
{
    private Action<int, Span<byte>>? _readChunk;
    private long _budgetBytes;
    private long _residentBytes;
    private bool[] _referenced = [];
    private int _clockHand;

    /// <summary>True when vectors are read on demand (a budget is set): the graph code then runs single-threaded.</summary>
    public bool Paged => _readChunk is not null;

    /// <summary>While set, nothing is dropped (a compaction moves vectors in memory before it writes them).</summary>
    public bool EvictionSuspended { get; set; }

    /// <summary>Bytes of vectors held in memory now.</summary>
    public long ResidentVectorBytes => _residentBytes;

    /// <summary>Chunks read back from the shadow table since the index was loaded.</summary>
    public long ChunkReads { get; private set; }

    private long ChunkMemoryBytes => (long)ChunkSlots * Dimension * ((_hasCodes ? sizeof(sbyte) : 0) + (_int8 ? 0 : sizeof(float)));

    /// <summary>
    /// Turns on the budget. <paramref name="readChunk"/> fills a span of <c>ChunkSlots * StoredVectorBytes</c>
    /// with a chunk's stored BLOB; it is called on the connection's thread only.
    /// </summary>
    public void UseBudget(long budgetBytes, Action<int, Span<byte>> readChunk)
    {
        _budgetBytes = Math.Max(budgetBytes, 1);
        _readChunk = readChunk;

        // Codes of every vector would have to stay in memory to navigate; a budgeted float32 store ranks with its vectors.
        for (var chunk = 0; chunk < ChunkCount; chunk++)
        {
            ForgetChunk(chunk);
        }

        _hasCodes = _int8;
    }

    /// <summary>Drops chunks until the vectors in memory fit the budget again.</summary>
    public void TrimToBudget() => MakeRoom(0);

    private float[] FloatChunk(int chunk)
    {
        var vectors = _vectorChunks[chunk];
        if (vectors is null)
        {
            ReadBack(chunk);
            vectors = _vectorChunks[chunk]!;
        }

        if (_readChunk is not null)
        {
            _referenced[chunk] = true;
        }

        return vectors;
    }

    private sbyte[] CodeChunk(int chunk)
    {
        var codes = _codeChunks[chunk];
        if (codes is null)
        {
            ReadBack(chunk);
            codes = _codeChunks[chunk]!;
        }

        if (_readChunk is not null)
        {
            _referenced[chunk] = true;
        }

        return codes;
    }

    private void AllocateChunk(int chunk)
    {
        MakeRoom(ChunkMemoryBytes);

        // Pinned (allocated on the pinned object heap) so Prefetch can take a vector's address.
        if (_hasCodes)
        {
            _codeChunks[chunk] = GC.AllocateArray<sbyte>(ChunkSlots * Dimension, pinned: true);
        }

        if (!_int8)
        {
            _vectorChunks[chunk] = GC.AllocateArray<float>(ChunkSlots * Dimension, pinned: true);
        }

        _residentBytes += ChunkMemoryBytes;
        if (_referenced.Length < _neighborChunks.Count)
        {
            Array.Resize(ref _referenced, Math.Max(_neighborChunks.Count, _referenced.Length * 2));
        }

        _referenced[chunk] = true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReadBack(int chunk)
    {
        if (_readChunk is null)
        {
            throw new InvalidOperationException($"vector chunk {chunk} is not in memory and the store has no reader");
        }

        AllocateChunk(chunk);
        var length = ChunkSlots * StoredVectorBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            _readChunk(chunk, buffer.AsSpan(0, length));
            LoadVectorChunk(chunk, buffer.AsSpan(0, length));
        }
        catch
        {
            ForgetChunk(chunk);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        ChunkReads++;
    }

    /// <summary>Drops a chunk's vectors from memory (their norms and scales stay; they are recomputed on read).</summary>
    private void ForgetChunk(int chunk)
    {
        if (_vectorChunks[chunk] is not null || _codeChunks[chunk] is not null)
        {
            _vectorChunks[chunk] = null;
            _codeChunks[chunk] = null;
            _residentBytes -= ChunkMemoryBytes;
        }
    }

    /// <summary>Clock sweep: a chunk used since the hand last passed gets a second chance.</summary>
    private void MakeRoom(long bytes)
    {
        if (_readChunk is null || EvictionSuspended)
        {
            return;
        }

        var count = _neighborChunks.Count;
        for (var step = 0; step < 2 * count && _residentBytes + bytes > _budgetBytes; step++)
        {
            var chunk = _clockHand++ % count;
            if (_vectorChunks[chunk] is null && _codeChunks[chunk] is null)
            {
                continue;
            }

            if (_referenced[chunk])
            {
                _referenced[chunk] = false;
            }
            else
            {
                ForgetChunk(chunk);
            }
        }

        _clockHand %= Math.Max(count, 1);
    }
}
