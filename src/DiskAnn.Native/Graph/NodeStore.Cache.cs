using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
/// <para>
/// A budgeted image is shared by the connections of the process like any other, and searched from many threads at
/// once. A hit takes no lock: the chunk's reference is read once (volatile) and that array is used to the end of
/// the call. A miss takes the store's lock, looks again (another thread may have read the chunk meanwhile), reads
/// the chunk into a new array and only then publishes it. Eviction only nulls a reference under that lock: a
/// thread still holding the array goes on using it and the GC keeps it alive (Prefetch may be handed the address of
/// an array dropped since, which it only prefetches, never reads). The resident bytes and the clock change under the
/// lock; the clock's "used lately" bits are hints, set without it.
/// </para>
/// <para>
/// A chunk is read back through the connection that runs the operation needing it, never the one that loaded the
/// image: each connection has its own statements and its own read transaction, at the generation of the image it
/// uses (or, for a writer, its own changes, which are in its fork). The graph code does not know connections, and a
/// reader threaded through every distance call would cost the hit path; so the table sets this thread's
/// <see cref="IChunkReader"/> around every call into the index (<see cref="ReadThrough"/>), and a read-back takes it
/// from there. The reader names its table (<see cref="IChunkReader.Source"/>): a read-back on a thread whose reader
/// belongs to another table fails instead of reading another table's chunk.
/// </para>
/// </summary>
internal sealed partial class NodeStore
{
    [ThreadStatic]
    private static IChunkReader? t_reader;

    private readonly Lock _cacheLock = new();
    private bool _paged;
    // The budget in bytes; 0 with _paged: chunks missing from memory are read back, and none is dropped.
    private long _budgetBytes;
    private long _residentBytes;
    private long _chunkReads;
    private bool[] _referenced = [];
    private int _clockHand;
    private float[]? _loadBuffer;

    /// <summary>The table whose chunks this store holds, as its readers name it (<see cref="IChunkReader.Source"/>).</summary>
    public object? ChunkSource { get; set; }

    /// <summary>True when vectors may be missing from memory and are read back on demand (a budget was set).</summary>
    public bool Paged => Volatile.Read(ref _paged);

    /// <summary>
    /// True when the graph code may run on several threads: nothing it reads can be missing from memory
    /// (a read-back goes through the connection, which only the thread running its operation may use).
    /// </summary>
    public bool ParallelSafe => !Paged || !_int8;

    /// <summary>While set, nothing is dropped (a compaction moves vectors in memory before it writes them).</summary>
    public bool EvictionSuspended { get; set; }

    /// <summary>Bytes of budgeted vectors held in memory now (float32 vectors, or an int8 table's codes).</summary>
    public long ResidentVectorBytes => Interlocked.Read(ref _residentBytes);

    /// <summary>Chunks read back from the shadow table since the index was loaded.</summary>
    public long ChunkReads => Interlocked.Read(ref _chunkReads);

    /// <summary>The budget in MiB: 0 when there is none (nothing is dropped).</summary>
    public int BudgetMb => (int)(Interlocked.Read(ref _budgetBytes) >> 20);

    private long ChunkMemoryBytes => (long)ChunkSlots * Dimension * (_int8 ? sizeof(sbyte) : sizeof(float));

    /// <summary>Makes <paramref name="reader"/> the one that reads chunks back on this thread until the scope is disposed.</summary>
    public static ReaderScope ReadThrough(IChunkReader reader)
    {
        var previous = t_reader;
        t_reader = reader;
        return new ReaderScope(previous);
    }

    /// <summary>Turns on the budget of a store just loaded with its vectors left on disk.</summary>
    public void UseBudget(long budgetBytes) => SetBudget(budgetBytes);

    /// <summary>
    /// Sets the budget (0: nothing is dropped) and drops chunks to fit it; never reloads. A store that holds every
    /// vector stays as it is with 0; with a budget it becomes paged.
    /// </summary>
    public void SetBudgetMb(int mb) => SetBudget(mb * 1024L * 1024L);

    private void SetBudget(long budgetBytes)
    {
        lock (_cacheLock)
        {
            if (budgetBytes == 0 && !_paged)
            {
                return;
            }

            EnsureReferenceBits();
            Interlocked.Exchange(ref _budgetBytes, budgetBytes);
            Volatile.Write(ref _paged, true);
            MakeRoom(0);
        }
    }

    /// <summary>Drops chunks until the vectors in memory fit the budget again.</summary>
    public void TrimToBudget()
    {
        lock (_cacheLock)
        {
            MakeRoom(0);
        }
    }

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

    private static ref T? At<T>(List<T?> chunks, int chunk)
        where T : class
        => ref CollectionsMarshal.AsSpan(chunks)[chunk];

    private float[] FloatChunk(int chunk)
    {
        var vectors = Volatile.Read(ref At(_vectorChunks, chunk)) ?? (float[])ReadBack(chunk);
        Touch(chunk);
        return vectors;
    }

    private sbyte[] CodeChunk(int chunk)
    {
        var codes = Volatile.Read(ref At(_codeChunks, chunk)) ?? (sbyte[])ReadBack(chunk);
        if (_int8)
        {
            Touch(chunk);
        }

        return codes;
    }

    /// <summary>The clock's "used lately" bit: a hint, written without the lock and only when it changes.</summary>
    private void Touch(int chunk)
    {
        var bits = _referenced; // grows (SetBudget of a store that had none) while other threads search
        if (_paged && (uint)chunk < (uint)bits.Length && !bits[chunk])
        {
            bits[chunk] = true;
        }
    }

    private bool IsResident(int chunk)
        => _int8 ? Volatile.Read(ref At(_codeChunks, chunk)) is not null : Volatile.Read(ref At(_vectorChunks, chunk)) is not null;

    private void EnsureReferenceBits()
    {
        if (_referenced.Length < _neighborChunks.Count)
        {
            Array.Resize(ref _referenced, Math.Max(_neighborChunks.Count, _referenced.Length * 2));
        }
    }

    /// <summary>Allocates the chunk's codes (if the store keeps codes and has none yet) and, when <paramref name="vectors"/>, its budgeted vectors.</summary>
    private void AllocateChunk(int chunk, bool vectors)
    {
        // Pinned (allocated on the pinned object heap) so Prefetch can take a vector's address.
        if (!_int8 && _codeChunks[chunk] is null)
        {
            _codeChunks[chunk] = GC.AllocateArray<sbyte>(ChunkSlots * Dimension, pinned: true);
            _ownsCodes[chunk] = true;
        }

        if (!vectors || IsResident(chunk))
        {
            return;
        }

        lock (_cacheLock)
        {
            EnsureReferenceBits();
            MakeRoom(ChunkMemoryBytes);
            if (_int8)
            {
                Publish(_codeChunks, _ownsCodes, chunk, GC.AllocateArray<sbyte>(ChunkSlots * Dimension, pinned: true));
            }
            else
            {
                Publish(_vectorChunks, _ownsVectors, chunk, GC.AllocateArray<float>(ChunkSlots * Dimension, pinned: true));
            }
        }
    }

    /// <summary>Makes a chunk resident (the caller holds the cache lock): a new array, so this store alone holds it.</summary>
    private void Publish<T>(List<T[]?> chunks, bool[] owned, int chunk, T[] array)
    {
        Volatile.Write(ref At(chunks, chunk), array);
        owned[chunk] = true;
        _referenced[chunk] = true;
        Interlocked.Add(ref _residentBytes, ChunkMemoryBytes);
    }

    /// <summary>
    /// A chunk missing from memory, read back through this thread's reader under the cache lock and published once
    /// whole: the float32 vectors, or an int8 store's codes (with their scales and norms, which it may not know yet:
    /// a budgeted int8 load reads no vector; a thread reads a slot's scale only after its codes, so it never sees one
    /// missing, and writing one known already writes the value it holds).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Array ReadBack(int chunk)
    {
        // The reader's table is asked outside the lock: naming it may resolve the process's images (their lock is
        // taken before this one when a budget is applied, never after).
        var reader = t_reader;
        var source = reader?.Source;
        lock (_cacheLock)
        {
            Array? resident = _int8 ? Volatile.Read(ref At(_codeChunks, chunk)) : Volatile.Read(ref At(_vectorChunks, chunk));
            if (resident is not null)
            {
                return resident;
            }

            if (!_paged || reader is null || !ReferenceEquals(source, ChunkSource))
            {
                throw new InvalidOperationException($"vector chunk {chunk} is not in memory and {(_paged ? "this thread has no reader for its table" : "the store has no budget")}");
            }

            EnsureReferenceBits();
            MakeRoom(ChunkMemoryBytes);
            var length = ChunkSlots * StoredVectorBytes;
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                var data = buffer.AsSpan(0, length);
                reader.ReadVectorChunk(chunk, data);
                Interlocked.Increment(ref _chunkReads);
                if (_int8)
                {
                    var codes = DecodeCodeChunk(chunk, data);
                    Publish(_codeChunks, _ownsCodes, chunk, codes);
                    return codes;
                }

                var vectors = GC.AllocateUninitializedArray<float>(ChunkSlots * Dimension, pinned: true);
                if (BitConverter.IsLittleEndian)
                {
                    data.CopyTo(MemoryMarshal.AsBytes(vectors.AsSpan()));
                }
                else
                {
                    for (var i = 0; i < vectors.Length; i++)
                    {
                        vectors[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(i * sizeof(float))..]);
                    }
                }

                Publish(_vectorChunks, _ownsVectors, chunk, vectors);
                return vectors;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>An int8 chunk's codes from its stored BLOB, into a new array; sets the slots' scales and norms.</summary>
    private sbyte[] DecodeCodeChunk(int chunk, ReadOnlySpan<byte> data)
    {
        var codes = GC.AllocateUninitializedArray<sbyte>(ChunkSlots * Dimension, pinned: true);
        var bytes = StoredVectorBytes;
        for (var i = 0; i < ChunkSlots; i++)
        {
            var stored = data.Slice(i * bytes, bytes);
            var slotCodes = codes.AsSpan(i * Dimension, Dimension);
            MemoryMarshal.Cast<byte, sbyte>(stored[sizeof(float)..]).CopyTo(slotCodes);
            var slot = (chunk * ChunkSlots) + i;
            var scale = BinaryPrimitives.ReadSingleLittleEndian(stored);
            _scales.Set(slot, scale);
            SetCodeNorms(slot, slotCodes, scale, sketch: false);
        }

        return codes;
    }

    /// <summary>Drops a chunk's budgeted vectors from memory (norms, scales and a float32 table's codes stay); the caller holds the cache lock.</summary>
    private void ForgetChunk(int chunk)
    {
        if (!IsResident(chunk))
        {
            return;
        }

        if (_int8)
        {
            Volatile.Write(ref At(_codeChunks, chunk), null);
        }
        else
        {
            Volatile.Write(ref At(_vectorChunks, chunk), null);
        }

        Interlocked.Add(ref _residentBytes, -ChunkMemoryBytes);
    }

    /// <summary>
    /// Clock sweep: a chunk used since the hand last passed gets a second chance. The caller holds the cache lock.
    /// Searches on other threads set "used" bits while the hand goes round, so a third turn drops chunks whatever their
    /// bit: the budget holds, never more than a chunk over (when it is smaller than one chunk).
    /// </summary>
    private void MakeRoom(long bytes)
    {
        if (!_paged || _budgetBytes == 0 || EvictionSuspended)
        {
            return;
        }

        var count = _neighborChunks.Count;
        for (var step = 0; step < 3 * count && _residentBytes + bytes > _budgetBytes; step++)
        {
            var chunk = _clockHand++ % count;
            if (!IsResident(chunk))
            {
                continue;
            }

            if (_referenced[chunk] && step < 2 * count)
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

    /// <summary>Restores the thread's previous reader (<see cref="ReadThrough"/>).</summary>
    public readonly struct ReaderScope(IChunkReader? previous) : IDisposable
    {
        public void Dispose() => t_reader = previous;
    }
}

/// <summary>Reads a table's vector chunks back through one connection (see <see cref="NodeStore"/>'s cache budget).</summary>
internal interface IChunkReader
{
    /// <summary>The table read: the <see cref="NodeStore.ChunkSource"/> of the stores it may read for.</summary>
    object Source { get; }

    /// <summary>Fills <paramref name="destination"/> (<c>ChunkSlots * StoredVectorBytes</c>) with a chunk's stored BLOB.</summary>
    void ReadVectorChunk(int chunk, Span<byte> destination);
}
