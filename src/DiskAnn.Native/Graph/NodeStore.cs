using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using DiskAnn.Distance;

namespace DiskAnn.Graph;

/// <summary>
/// The in-memory mirror of the shadow tables: for each slot its vector (float32, or int8 codes and a scale),
/// its norms, rowid, state and adjacency list. Vectors and adjacency live in chunks of <see cref="ChunkSlots"/>
/// slots, the same chunks the shadow tables store as one BLOB each, so growth never copies the vectors already
/// held. The distance functions live here too, because only the store knows how its vectors are encoded.
/// </summary>
internal sealed partial class NodeStore
{
    private readonly int _chunkShift;
    private readonly int _chunkMask;
    // A null entry is a chunk not in memory (a budgeted cache: NodeStore.Cache.cs); it is read back on first use.
    private readonly List<float[]?> _vectorChunks = [];
    private readonly List<sbyte[]?> _codeChunks = [];
    private readonly List<int[]?> _neighborChunks = [];
    private readonly DiskAnnMetric _metric;
    private readonly bool _int8;
    // Per-slot fields, in pages a fork shares until one side writes (see Fork).
    private CowArray<long> _rowids = new();
    private CowArray<NodeState> _states = new();
    private CowArray<ushort> _degrees = new();
    private CowArray<float> _inverseNorms = new();
    private CowArray<float> _scales = new();
    private CowArray<float> _squaredNorms = new();
    private CowArray<float> _codeInverseNorms = new();

    // Which chunks this store may write in place; a chunk it shares with a fork is copied before its first write.
    private bool[] _ownsVectors = [];
    private bool[] _ownsCodes = [];
    private bool[] _ownsNeighbors = [];
    private readonly Lock _chunkLock = new();

    // Built by the first scan that wants them (BinarySketches), then kept up to date by every code written.
    private BinarySketches? _sketches;

    public NodeStore(GraphOptions options, int chunkSlots)
        : this(options.Dimension, options.MaxDegree, chunkSlots, options.Metric, options.Quantization)
    {
        Filters = options.FilterColumns.Count > 0 ? new Filters.FilterColumnStore(options.FilterColumns) : null;
    }

    /// <summary>The filter column values of each slot, when the table declares filter columns.</summary>
    public Filters.FilterColumnStore? Filters { get; private set; }

    public NodeStore(int dimension, int maxDegree, int chunkSlots, DiskAnnMetric metric, DiskAnnQuantization quantization)
    {
        if (chunkSlots <= 0 || (chunkSlots & (chunkSlots - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSlots), "chunk size must be a power of two");
        }

        Dimension = dimension;
        MaxDegree = maxDegree;
        _metric = metric;
        Quantization = quantization;
        _int8 = quantization == DiskAnnQuantization.Int8;
        Capacity = maxDegree + ((maxDegree + 1) / 2);
        ChunkSlots = chunkSlots;
        _chunkShift = System.Numerics.BitOperations.Log2((uint)chunkSlots);
        _chunkMask = chunkSlots - 1;
    }

    public int Dimension { get; }

    public DiskAnnQuantization Quantization { get; }

    /// <summary>
    /// True for a float32 store. Every store navigates with int8 codes (graph search and construction compare
    /// codes: a quarter of the bytes to read, integer arithmetic for node pairs); a float32 store keeps them in
    /// memory only, beside its vectors, and re-ranks the final candidates with the float32 vectors
    /// (<see cref="ExactDistance"/>): DiskANN's split between compressed vectors to navigate and full ones to
    /// rank, at a quarter more memory. An int8 store's codes are its vectors.
    /// </summary>
    public bool NavigatesWithCodes => !_int8;

    /// <summary>Bytes of one slot's vector in the vectors shadow table: float32 values, or a float32 scale and int8 codes.</summary>
    public int StoredVectorBytes => StoredBytes(Dimension, Quantization);

    public static int StoredBytes(int dimension, DiskAnnQuantization quantization)
        => quantization == DiskAnnQuantization.Int8 ? sizeof(float) + dimension : dimension * sizeof(float);

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
    public int SlotCount => _neighborChunks.Count * ChunkSlots;

    public int ChunkCount => _neighborChunks.Count;

    /// <summary>
    /// About the bytes held: the vectors in memory, a float32 store's navigation codes, the adjacency lists, and per
    /// slot its rowid, state, degree, norms, scale, level and support count (35 bytes).
    /// </summary>
    public long MemoryBytes
        => ResidentVectorBytes
            + (_int8 ? 0 : (long)SlotCount * Dimension)
            + ((long)SlotCount * Capacity * sizeof(int))
            + (35L * SlotCount)
            + (Volatile.Read(ref _sketches)?.MemoryBytes ?? 0)
            + (Filters?.MemoryBytes(SlotCount) ?? 0);

    public long RowId(int slot) => _rowids[slot];

    public NodeState State(int slot) => _states[slot];

    /// <summary>1/|v| of the slot's vector: the float32 one, or for an int8 store its decoded codes.</summary>
    public float InverseNorm(int slot) => _int8 ? _codeInverseNorms[slot] : _inverseNorms[slot];

    public int Degree(int slot) => _degrees[slot];

    /// <summary>A float32 slot's vector, as stored. (An int8 store has none: see <see cref="Decode"/>.)</summary>
    public ReadOnlySpan<float> Vector(int slot) => VectorSpan(slot);

    private ReadOnlySpan<sbyte> Codes(int slot) => CodeSpan(slot);

    private Span<float> VectorSpan(int slot)
        => FloatChunk(slot >> _chunkShift).AsSpan((slot & _chunkMask) * Dimension, Dimension);

    private Span<sbyte> CodeSpan(int slot)
        => CodeChunk(slot >> _chunkShift).AsSpan((slot & _chunkMask) * Dimension, Dimension);

    private Span<float> WritableVector(int slot)
        => WritableFloatChunk(slot >> _chunkShift).AsSpan((slot & _chunkMask) * Dimension, Dimension);

    private Span<sbyte> WritableCodes(int slot)
        => WritableCodeChunk(slot >> _chunkShift).AsSpan((slot & _chunkMask) * Dimension, Dimension);

    /// <summary>A chunk's vectors to write: copied first if a fork shares them.</summary>
    private float[] WritableFloatChunk(int chunk)
    {
        var vectors = FloatChunk(chunk);
        return Volatile.Read(ref _ownsVectors[chunk]) ? vectors : Own(_vectorChunks, _ownsVectors, chunk)!;
    }

    private sbyte[] WritableCodeChunk(int chunk)
    {
        var codes = CodeChunk(chunk);
        return Volatile.Read(ref _ownsCodes[chunk]) ? codes : Own(_codeChunks, _ownsCodes, chunk)!;
    }

    private int[] WritableNeighborChunk(int chunk)
        => Volatile.Read(ref _ownsNeighbors[chunk]) ? _neighborChunks[chunk]! : Own(_neighborChunks, _ownsNeighbors, chunk)!;

    /// <summary>Replaces a shared chunk by a copy of its own (pinned, as every chunk: Prefetch takes addresses).</summary>
    private TElement[]? Own<TElement>(List<TElement[]?> chunks, bool[] owned, int chunk)
    {
        lock (_chunkLock)
        {
            if (!owned[chunk] && chunks[chunk] is { } shared)
            {
                var copy = GC.AllocateUninitializedArray<TElement>(shared.Length, pinned: true);
                shared.CopyTo(copy, 0);
                chunks[chunk] = copy;
                Volatile.Write(ref owned[chunk], true);
            }

            return chunks[chunk];
        }
    }

    /// <summary>The slot's vector as float32 values: a copy, or the int8 codes times their scale.</summary>
    public void Decode(int slot, Span<float> destination)
    {
        if (_int8)
        {
            Int8Math.Dequantize(Codes(slot), _scales[slot], destination);
        }
        else
        {
            Vector(slot).CopyTo(destination);
        }
    }

    /// <summary>The slot's codes decoded (its vector for an int8 store; the navigation copy of a float32 one) and their inverse norm.</summary>
    public float DecodeCodes(int slot, Span<float> destination)
    {
        var codes = Codes(slot);
        Int8Math.Dequantize(codes, _scales[slot], destination);
        return _codeInverseNorms[slot];
    }

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

        // Navigation reads the codes. A budgeted chunk may be dropped once read: its address is only prefetched, never
        // read, so an array the GC has freed since costs nothing.
        var chunk = Volatile.Read(ref At(_codeChunks, slot >> _chunkShift));
        if (chunk is null)
        {
            return;
        }

        var start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(chunk)) + ((slot & _chunkMask) * Dimension);
        var bytes = Math.Min(Dimension, 256);
        for (var offset = 0; offset < bytes; offset += 64)
        {
            Sse.Prefetch0(start + offset);
        }
    }

    /// <summary>
    /// The distance the graph is built with, between two stored nodes (squared for l2, as
    /// <see cref="VectorMath.GraphDistance(DiskAnnMetric, ReadOnlySpan{float}, float, ReadOnlySpan{float}, float)"/>):
    /// an exact integer dot product of their codes, rescaled.
    /// </summary>
    public float Distance(int a, int b)
    {
        var dot = Int8Math.Dot(Codes(a), Codes(b)) * (_scales[a] * _scales[b]);
        return _metric switch
        {
            DiskAnnMetric.Cosine => Math.Max(0f, 1f - (dot * (_codeInverseNorms[a] * _codeInverseNorms[b]))),
            DiskAnnMetric.L2 => Math.Max(0f, _squaredNorms[a] + _squaredNorms[b] - (2f * dot)),
            _ => -dot,
        };
    }

    /// <summary>
    /// The graph distance from a float32 query (its inverse norm precomputed for cosine) to a stored node, as
    /// search navigates: against the node's codes.
    /// </summary>
    public float Distance(ReadOnlySpan<float> query, float queryInverseNorm, int slot)
    {
        return _metric switch
        {
            DiskAnnMetric.Cosine => Math.Max(0f, 1f - (Int8Math.Dot(query, Codes(slot)) * _scales[slot] * (queryInverseNorm * _codeInverseNorms[slot]))),
            DiskAnnMetric.L2 => Int8Math.SquaredDistance(query, Codes(slot), _scales[slot]),
            _ => -(Int8Math.Dot(query, Codes(slot)) * _scales[slot]),
        };
    }

    /// <summary>
    /// The graph distance (squared for l2) to the stored vector at its stored precision: float32 when the store
    /// has it, to re-rank what navigation with codes found; for an int8 store, the same as <see cref="Distance(ReadOnlySpan{float}, float, int)"/>.
    /// </summary>
    public float ExactDistance(ReadOnlySpan<float> query, float queryInverseNorm, int slot)
        => _int8 ? Distance(query, queryInverseNorm, slot) : VectorMath.GraphDistance(_metric, query, queryInverseNorm, Vector(slot), _inverseNorms[slot]);

    /// <summary>
    /// The distance reported to SQL, from <see cref="ExactDistance"/>. For float32 it is exactly what vector_distance_* returns for the same two
    /// vectors; for int8 it is the distance to the stored approximation.
    /// </summary>
    public float ReportedDistance(ReadOnlySpan<float> query, float queryInverseNorm, int slot, float graphDistance)
    {
        if (_metric != DiskAnnMetric.L2)
        {
            return graphDistance;
        }

        return _int8 ? MathF.Sqrt(graphDistance) : VectorMath.Distance(_metric, query, queryInverseNorm, Vector(slot), _inverseNorms[slot]);
    }

    /// <summary>True when storing <paramref name="vector"/> would leave the slot's stored vector unchanged.</summary>
    public bool HoldsVector(int slot, ReadOnlySpan<float> vector)
    {
        if (!_int8)
        {
            return Vector(slot).SequenceEqual(vector);
        }

        var stored = Codes(slot); // first: it may read the chunk back, and with it the scale
        Span<sbyte> codes = Dimension <= 4096 ? stackalloc sbyte[Dimension] : new sbyte[Dimension];
        var scale = Int8Math.Quantize(vector, codes);
        return scale == _scales[slot] && codes.SequenceEqual(stored);
    }

    /// <summary>True when two slots navigate with the same codes: copies of one vector (or as near as int8 tells).</summary>
    public bool SameVector(int a, int b)
    {
        // The codes first: they may be read back, and with them the scales (NodeStore.Cache.cs).
        var codesA = Codes(a);
        var codesB = Codes(b);
        return codesA.SequenceEqual(codesB) && _scales[a] == _scales[b];
    }

    public ReadOnlySpan<int> Neighbors(int slot)
        => _neighborChunks[slot >> _chunkShift]!.AsSpan((slot & _chunkMask) * Capacity, _degrees[slot]);

    /// <summary>Fills a whole chunk's vectors from its stored BLOB (the layout of <see cref="WriteStoredVector"/>, back to back).</summary>
    public void LoadVectorChunk(int chunk, ReadOnlySpan<byte> data)
    {
        if (!IsResident(chunk))
        {
            AllocateChunk(chunk, vectors: true); // a budgeted store's chunk refreshed from disk: no read-back, it is overwritten
        }

        var first = chunk * ChunkSlots;
        if (!_int8 && BitConverter.IsLittleEndian)
        {
            data.CopyTo(MemoryMarshal.AsBytes(WritableFloatChunk(chunk).AsSpan()));
            for (var slot = first; slot < first + ChunkSlots; slot++)
            {
                EncodeNavigation(slot);
                ComputeNorms(slot);
            }

            return;
        }

        var bytes = StoredVectorBytes;
        for (var i = 0; i < ChunkSlots; i++)
        {
            ReadStoredVector(first + i, data.Slice(i * bytes, bytes));
        }
    }

    /// <summary>Sets a slot's vector from its stored bytes.</summary>
    private void ReadStoredVector(int slot, ReadOnlySpan<byte> data)
    {
        if (_int8)
        {
            _scales.Set(slot, BinaryPrimitives.ReadSingleLittleEndian(data));
            MemoryMarshal.Cast<byte, sbyte>(data[sizeof(float)..]).CopyTo(WritableCodes(slot));
        }
        else
        {
            var target = WritableVector(slot);
            for (var i = 0; i < target.Length; i++)
            {
                target[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(i * sizeof(float))..]);
            }

            EncodeNavigation(slot);
        }

        ComputeNorms(slot);
    }

    /// <summary>Writes a slot's vector as stored: float32 values, or the float32 scale then the codes (little-endian).</summary>
    public void WriteStoredVector(int slot, Span<byte> data)
    {
        if (_int8)
        {
            MemoryMarshal.AsBytes(Codes(slot)).CopyTo(data[sizeof(float)..]);
            BinaryPrimitives.WriteSingleLittleEndian(data, _scales[slot]);
        }
        else if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(Vector(slot)).CopyTo(data);
        }
        else
        {
            var vector = Vector(slot);
            for (var i = 0; i < vector.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(data[(i * sizeof(float))..], vector[i]);
            }
        }
    }

    public void SetHeader(int slot, long rowid, NodeState state)
    {
        _rowids.Set(slot, rowid);
        _states.Set(slot, state);
    }

    public void SetState(int slot, NodeState state) => _states.Set(slot, state);

    public void SetVector(int slot, ReadOnlySpan<float> vector)
    {
        if (_int8)
        {
            _scales.Set(slot, Int8Math.Quantize(vector, WritableCodes(slot)));
        }
        else
        {
            vector.CopyTo(WritableVector(slot));
            EncodeNavigation(slot);
        }

        ComputeNorms(slot);
    }

    /// <summary>A float32 slot's codes for navigation.</summary>
    private void EncodeNavigation(int slot) => _scales.Set(slot, Int8Math.Quantize(Vector(slot), WritableCodes(slot)));

    /// <summary>Copies a vector (and its norms) from one slot to another, as stored.</summary>
    public void CopyVector(int from, int to)
    {
        if (!_int8)
        {
            Vector(from).CopyTo(WritableVector(to));
        }

        Codes(from).CopyTo(WritableCodes(to));
        _scales.Set(to, _scales[from]);

        _inverseNorms.Set(to, _inverseNorms[from]);
        _squaredNorms.Set(to, _squaredNorms[from]);
        _codeInverseNorms.Set(to, _codeInverseNorms[from]);
        _sketches?.Copy(from, to);
    }

    /// <summary>
    /// Exchanges the rows of two slots: vectors, codes, norms, sketches, rowids and states. Both must be without edges
    /// (rows not linked yet, which nothing points to either), so that no list has to be renumbered; the caller moves
    /// what else it keeps by slot (filter values, the rowid map) and has both written again.
    /// </summary>
    public void Swap(int a, int b)
    {
        if (Degree(a) != 0 || Degree(b) != 0)
        {
            throw new InvalidOperationException($"slots {a} and {b} hold edges: only rows not linked yet are exchanged");
        }

        if (!_int8)
        {
            SwapElements(WritableVector(a), WritableVector(b));
        }

        SwapElements(WritableCodes(a), WritableCodes(b));
        SwapElements(_scales, a, b);
        SwapElements(_inverseNorms, a, b);
        SwapElements(_squaredNorms, a, b);
        SwapElements(_codeInverseNorms, a, b);
        _sketches?.Swap(a, b);
        var (rowid, state) = (RowId(a), State(a));
        SetHeader(a, RowId(b), State(b));
        SetHeader(b, rowid, state);
        ResetReachability(a);
        ResetReachability(b);
    }

    private static void SwapElements<T>(Span<T> x, Span<T> y)
    {
        for (var i = 0; i < x.Length; i++)
        {
            (x[i], y[i]) = (y[i], x[i]);
        }
    }

    private static void SwapElements<T>(CowArray<T> array, int a, int b)
    {
        var value = array[a];
        array.Set(a, array[b]);
        array.Set(b, value);
    }

    /// <summary>
    /// The norms the distances need: 1/|v| of a float32 vector for cosine (to re-rank), and of the codes (decoded)
    /// their |v|² for l2 and 1/|v| for cosine (to navigate).
    /// </summary>
    private void ComputeNorms(int slot)
    {
        if (!_int8 && _metric == DiskAnnMetric.Cosine)
        {
            _inverseNorms.Set(slot, VectorMath.InverseNorm(Vector(slot)));
        }

        var codes = Codes(slot);
        SetCodeNorms(slot, codes, _scales[slot]);
    }

    /// <summary>A slot's norms from its codes, and its sketch when <paramref name="sketch"/> (not for codes read back: unchanged).</summary>
    private void SetCodeNorms(int slot, ReadOnlySpan<sbyte> codes, float scale, bool sketch = true)
    {
        var squared = Int8Math.Dot(codes, codes) * scale * scale;
        _squaredNorms.Set(slot, squared);
        _codeInverseNorms.Set(slot, squared > 0f ? 1f / MathF.Sqrt(squared) : 0f);
        if (sketch)
        {
            _sketches?.Set(slot, codes, SketchFactor(slot));
        }
    }

    /// <summary>
    /// The sketches of every slot (<see cref="BinarySketches"/>), built now if they were not; null for an int8 store
    /// under a budget, whose codes are not all in memory (its scans measure the codes as before).
    /// </summary>
    public BinarySketches? Sketches(int liveRows)
    {
        // Built from the rows held then, their centre is that of those rows: built again (a new centre) once the
        // rows have doubled, so that sketches made from the first rows of a growing table do not stay skewed.
        if (Volatile.Read(ref _sketches) is { } built && liveRows <= 2 * built.Rows)
        {
            return built;
        }

        if (!CanSketch || liveRows < MinimumSketchRows)
        {
            return null;
        }

        lock (_chunkLock)
        {
            if (_sketches is null || liveRows > 2 * _sketches.Rows)
            {
                // The centre: the mean decoded value (direction, for cosine) of each dimension over the rows held.
                var centre = new float[Dimension];
                var rows = 0;
                for (var slot = 0; slot < SlotCount; slot++)
                {
                    if (State(slot) is NodeState.Linked or NodeState.Pending)
                    {
                        var factor = SketchFactor(slot);
                        var codes = Codes(slot);
                        for (var d = 0; d < centre.Length; d++)
                        {
                            centre[d] += codes[d] * factor;
                        }

                        rows++;
                    }
                }

                for (var d = 0; d < centre.Length; d++)
                {
                    centre[d] /= Math.Max(1, rows);
                }

                var sketches = new BinarySketches(centre, rows);
                sketches.EnsureSlots(Math.Max(SlotCount, _rowids.Length));
                for (var slot = 0; slot < SlotCount; slot++)
                {
                    sketches.Set(slot, Codes(slot), SketchFactor(slot));
                }

                Volatile.Write(ref _sketches, sketches);
            }

            return _sketches;
        }
    }

    /// <summary>Below this many rows there are no sketches: their centre would be a few rows' (and no scan is long).</summary>
    public const int MinimumSketchRows = 256;

    /// <summary>Whether <see cref="Sketches"/> can be built: every code is in memory (not an int8 store under a budget).</summary>
    public bool CanSketch => !(_int8 && Paged);

    /// <summary>What a slot's codes are multiplied by for its sketch: the scale, and for cosine 1/|v| too (its direction).</summary>
    private float SketchFactor(int slot)
        => _metric == DiskAnnMetric.Cosine ? _scales[slot] * _codeInverseNorms[slot] : _scales[slot];

    public void SetNeighbors(int slot, ReadOnlySpan<int> neighbors)
    {
        if (neighbors.Length > Capacity)
        {
            throw new InvalidOperationException($"degree {neighbors.Length} exceeds the list capacity {Capacity}");
        }

        if (LevelsValid)
        {
            CountSupport(slot, Neighbors(slot), -1);
            CountSupport(slot, neighbors, +1);
        }

        neighbors.CopyTo(WritableNeighborChunk(slot >> _chunkShift).AsSpan((slot & _chunkMask) * Capacity, Capacity));
        _degrees.Set(slot, (ushort)neighbors.Length);
    }

    /// <summary>Drops the chunks from <paramref name="chunkCount"/> on; the caller has emptied them.</summary>
    public void TruncateChunks(int chunkCount)
    {
        lock (_cacheLock)
        {
            for (var chunk = chunkCount; chunk < ChunkCount; chunk++)
            {
                ForgetChunk(chunk);
            }
        }

        _codeChunks.RemoveRange(chunkCount, _codeChunks.Count - chunkCount);
        _vectorChunks.RemoveRange(chunkCount, _vectorChunks.Count - chunkCount);

        _neighborChunks.RemoveRange(chunkCount, _neighborChunks.Count - chunkCount);
    }

    /// <summary>
    /// Makes room for slots up to <paramref name="slotCount"/> (exclusive), adding whole chunks of free slots.
    /// With <paramref name="resident"/> false (a budgeted load) the new chunks' vectors stay on disk until used.
    /// </summary>
    public void EnsureSlots(int slotCount, bool resident = true)
    {
        while (_neighborChunks.Count * ChunkSlots < slotCount)
        {
            _vectorChunks.Add(null);
            _codeChunks.Add(null);
            _neighborChunks.Add(new int[ChunkSlots * Capacity]);
            var chunk = _neighborChunks.Count - 1;
            if (_ownsNeighbors.Length <= chunk)
            {
                var size = Math.Max(chunk + 1, _ownsNeighbors.Length * 2);
                Array.Resize(ref _ownsVectors, size);
                Array.Resize(ref _ownsCodes, size);
                Array.Resize(ref _ownsNeighbors, size);
            }

            _ownsVectors[chunk] = _ownsCodes[chunk] = _ownsNeighbors[chunk] = true;
            AllocateChunk(chunk, vectors: resident);
        }

        var capacity = _neighborChunks.Count * ChunkSlots;
        if (_rowids.Length < capacity)
        {
            _rowids.EnsureLength(capacity);
            _states.EnsureLength(capacity);
            _degrees.EnsureLength(capacity);
            _inverseNorms.EnsureLength(capacity);
            _squaredNorms.EnsureLength(capacity);
            _codeInverseNorms.EnsureLength(capacity);
            _scales.EnsureLength(capacity);
            GrowReachability(capacity);
            Filters?.EnsureSlots(capacity);
        }

        // Outside the test above: the sketches may have been built when the per-slot fields had room beyond the chunks.
        _sketches?.EnsureSlots(capacity);
    }
}
