using System.Buffers;
using System.Runtime.CompilerServices;

namespace DiskAnn.Graph;

/// <summary>
/// The vector cache budget (option <c>cache_size_mb</c>). Without one every chunk of vectors stays in memory.
/// With one, a loaded index starts with none of its stored vectors in memory; a chunk is read from the vectors
/// shadow table the first time it is needed, and chunks not used lately (a clock sweep) are dropped to stay
/// within the budget. Dropping is always safe: every vector is written to the shadow table when it is stored,
/// so the copy in memory is never the only one.
/// <para>
/// What stays in memory whatever the budget: the adjacency lists and per-slot fields (about 12 + 4C bytes a
/// node), and for a float32 table the int8 navigation codes (a quarter of the vectors). Search and graph
/// construction read only the codes, so a query reads back at most its L float32 candidates to re-rank them,
/// as DiskANN keeps compressed vectors in memory and full ones on SSD. An int8 table's codes are its vectors:
/// there the budget bounds the codes themselves, which navigation reads at every step.
/// </para>
/// </summary>
internal sealed partial class NodeStore
{
    private Action<int, Span<byte>>? _readChunk;
    private long _budgetBytes;
    private long _residentBytes;
    private bool[] _referenced = [];
    private int _clockHand;
    private float[]? _loadBuffer;

    /// <summary>True when vectors are read on demand (a budget is set).</summary>
    public bool Paged => _readChunk is not null;

    /// <summary>
    /// True when the graph code may run on several threads: nothing it reads can be missing from memory
    /// (a read-back goes through the connection, which only its own thread may use).
    /// </summary>
    public bool ParallelSafe => !Paged || !_int8;

    /// <summary>While set, nothing is dropped (a compaction moves vectors in memory before it writes them).</summary>
    public bool EvictionSuspended { get; set; }

    /// <summary>Bytes of budgeted vectors held in memory now (float32 vectors, or an int8 table's codes).</summary>
    public long ResidentVectorBytes => _residentBytes;

    /// <summary>Chunks read back from the shadow table since the index was loaded.</summary>
    public long ChunkReads { get; private set; }

    private long ChunkMemoryBytes => (long)ChunkSlots * Dimension * (_int8 ? sizeof(sbyte) : sizeof(float));

    /// <summary>
    /// Turns on the budget. <paramref name="readChunk"/> fills a span of <c>ChunkSlots * StoredVectorBytes</c>
    /// with a chunk's stored BLOB; it is called on the connection's thread only.
    /// </summary>
    public void UseBudget(long budgetBytes, Action<int, Span<byte>> readChunk)
    {
        _budgetBytes = Math.Max(budgetBytes, 1);
        _readChunk = readChunk;
        MakeRoom(0);
    }

    /// <summary>Drops chunks until the vectors in memory fit the budget again.</summary>
    public void TrimToBudget() => MakeRoom(0);

    /// <summary>
    /// For a budgeted load of a float32 table: derives a chunk's navigation codes and norms from its stored
    /// vectors, then lets the vectors go (they are read back when a re-rank needs them).
    /// </summary>
    public void LoadCodesOnly(int chunk, ReadOnlySpan<byte> data)
    {
        _vectorChunks[chunk] = _loadBuffer ??= new float[ChunkSlots * Dimension];
        LoadVectorChunk(chunk, data);
        _vectorChunks[chunk] = null;
    }

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

        if (_readChunk is not null && _int8)
        {
            _referenced[chunk] = true;
        }

        return codes;
    }

    private bool IsResident(int chunk) => (_int8 ? _codeChunks[chunk] is not null : _vectorChunks[chunk] is not null);

    /// <summary>Allocates the chunk's codes (if the store keeps codes and has none yet) and, when <paramref name="vectors"/>, its budgeted vectors.</summary>
    private void AllocateChunk(int chunk, bool vectors)
    {
        // Pinned (allocated on the pinned object heap) so Prefetch can take a vector's address.
        if (!_int8 && _codeChunks[chunk] is null)
        {
            _codeChunks[chunk] = GC.AllocateArray<sbyte>(ChunkSlots * Dimension, pinned: true);
            _ownsCodes[chunk] = true;
        }

        if (_referenced.Length < _neighborChunks.Count)
        {
            Array.Resize(ref _referenced, Math.Max(_neighborChunks.Count, _referenced.Length * 2));
        }

        if (!vectors || IsResident(chunk))
        {
            return;
        }

        MakeRoom(ChunkMemoryBytes);
        if (_int8)
        {
            _codeChunks[chunk] = GC.AllocateArray<sbyte>(ChunkSlots * Dimension, pinned: true);
            _ownsCodes[chunk] = true;
        }
        else
        {
            _vectorChunks[chunk] = GC.AllocateArray<float>(ChunkSlots * Dimension, pinned: true);
            _ownsVectors[chunk] = true;
        }

        _residentBytes += ChunkMemoryBytes;
        _referenced[chunk] = true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReadBack(int chunk)
    {
        if (_readChunk is null)
        {
            throw new InvalidOperationException($"vector chunk {chunk} is not in memory and the store has no reader");
        }

        AllocateChunk(chunk, vectors: true);
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

    /// <summary>Drops a chunk's budgeted vectors from memory (norms, scales and a float32 table's codes stay).</summary>
    private void ForgetChunk(int chunk)
    {
        if (!IsResident(chunk))
        {
            return;
        }

        if (_int8)
        {
            _codeChunks[chunk] = null;
        }
        else
        {
            _vectorChunks[chunk] = null;
        }

        _residentBytes -= ChunkMemoryBytes;
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
            if (!IsResident(chunk))
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
