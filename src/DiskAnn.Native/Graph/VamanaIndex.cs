using DiskAnn.Distance;

namespace DiskAnn.Graph;

/// <summary>
/// The Vamana graph over a <see cref="NodeStore"/>: greedy beam search from a fixed entry point (the medoid),
/// RobustPrune over the whole candidate set, batched parallel linking of pending nodes, and FreshDiskANN's
/// delete consolidation. It only changes memory; every slot it changes is recorded in <see cref="DirtySlots"/>
/// for the storage layer to write back. This file holds the rows and bookkeeping; the algorithms are in
/// VamanaIndex.Search (beam search), .Prune (RobustPrune), .Link (batched linking, back-edges, orphan repair),
/// .Maintenance (delete consolidation, compaction, rebuild) and .Entry (medoid and search seeds).
/// </summary>
internal sealed partial class VamanaIndex
{
    private static long s_lastId;

    private List<int> _pending = [];
    private Stack<int> _free = new();
    private RowidMap _slotOfRowid = new();
    private bool[] _dirtyFlags = [];
    private int _medoidBasis;
    private long? _maxRowId;

    public VamanaIndex(GraphOptions options, NodeStore nodes)
    {
        Options = options;
        Nodes = nodes;
    }

    public GraphOptions Options { get; }

    /// <summary>Identifies this image in the process (diskann_status shows it: connections that share an image show one id).</summary>
    public long Id { get; } = Interlocked.Increment(ref s_lastId);

    /// <summary>
    /// A copy to change, sharing the nodes' chunks until it writes them (<see cref="NodeStore.Fork"/>); the rowid map
    /// and the free list are copied (about 24 bytes a row). Called on a committed image, which has nothing pending
    /// or dirty; this image is not changed again.
    /// </summary>
    public VamanaIndex Fork()
    {
        var fork = new VamanaIndex(Options, Nodes.Fork())
        {
            _pending = [.. _pending],
            _free = new Stack<int>(_free.Reverse()),
            _slotOfRowid = _slotOfRowid.Fork(),
            _medoidBasis = _medoidBasis,
            _maxRowId = _maxRowId,
            _clock = _clock,
            Entry = Entry,
            Seeds = Seeds,
            DeletedCount = DeletedCount,
            _confinedStarts = new(_confinedStarts),
        };
        return fork;
    }

    public NodeStore Nodes { get; }

    /// <summary>The medoid: the main entry point, or -1 while the graph is empty.</summary>
    public int Entry { get; private set; } = -1;

    /// <summary>
    /// Every search starts from the medoid and these seeds: sqrt(N)/2 nodes (at most 1,024) spread over the data by
    /// farthest-first traversal of a sample. A single entry point cannot reach clusters that the graph joins
    /// by no edge (well-separated clusters in high dimension, where RobustPrune keeps no long edge); a seed in
    /// each region costs a few dozen distances per query and removes that failure.
    /// </summary>
    public int[] Seeds { get; private set; } = [];

    public int DeletedCount { get; private set; }

    /// <summary>Rows present (linked or pending).</summary>
    public int LiveCount => _slotOfRowid.Count;

    public int PendingCount => _pending.Count;

    /// <summary>About the bytes the image holds: the node store and the rowid map (an entry is about 24 bytes).</summary>
    public long MemoryBytes => Nodes.MemoryBytes + _slotOfRowid.MemoryBytes;

    /// <summary>Slots whose record changed since the storage layer last took them.</summary>
    public List<int> DirtySlots { get; } = [];

    /// <summary>True when the entry point changed since the storage layer last saved it.</summary>
    public bool HeaderDirty { get; set; }

    public IEnumerable<long> RowIds => _slotOfRowid.Keys;

    public bool TryGetSlot(long rowid, out int slot) => _slotOfRowid.TryGetValue(rowid, out slot);

    /// <summary>
    /// The largest rowid present (0 when empty), as SQLite picks max(rowid) + 1 for an INSERT without one (which is
    /// negative when every rowid is). Kept as rows arrive; only deleting the largest makes the next call scan, so a
    /// bulk load without rowids stays linear.
    /// </summary>
    public long MaxRowId()
    {
        if (_maxRowId is null)
        {
            var max = _slotOfRowid.Count == 0 ? 0L : long.MinValue;
            foreach (var rowid in _slotOfRowid.Keys)
            {
                max = Math.Max(max, rowid);
            }

            _maxRowId = max;
        }

        return _maxRowId.Value;
    }

    /// <summary>Rebuilds the bookkeeping after the storage layer filled <see cref="Nodes"/>.</summary>
    public void AfterLoad(int entry, int[] seeds)
    {
        Entry = entry;
        Seeds = seeds;
        _slotOfRowid.Clear();
        _maxRowId = null;
        _pending.Clear();
        _free.Clear();
        DeletedCount = 0;
        for (var slot = Nodes.SlotCount - 1; slot >= 0; slot--)
        {
            switch (Nodes.State(slot))
            {
                case NodeState.Free:
                    _free.Push(slot);
                    break;
                case NodeState.Deleted:
                    DeletedCount++;
                    break;
                default:
                    if (!_slotOfRowid.TryAdd(Nodes.RowId(slot), slot))
                    {
                        throw new InvalidDataException($"rowid {Nodes.RowId(slot)} is stored in two slots");
                    }

                    if (Nodes.State(slot) == NodeState.Pending)
                    {
                        _pending.Add(slot);
                    }

                    break;
            }
        }

        _pending.Reverse();
        _medoidBasis = _slotOfRowid.Count;

        PrepareFilteredScans();
    }

    /// <summary>
    /// A table with filter columns scans many matching rows sooner or later: its sketches are built when it is loaded
    /// or a commit has linked its rows (tens of milliseconds at 60,000 rows), not by the first such query. Once built,
    /// every write keeps them, so this costs nothing afterwards.
    /// </summary>
    private void PrepareFilteredScans()
    {
        if (Options.FilterColumns.Count > 0)
        {
            _ = Sketches();
        }
    }

    /// <summary>
    /// Stores a new row as a pending node and returns its slot. The caller has checked the rowid is new.
    /// <paramref name="filterValues"/>: one per filter column, converted to the column's type (none without filter columns).
    /// </summary>
    public int Add(long rowid, ReadOnlySpan<float> vector, ReadOnlySpan<Filters.FilterValue> filterValues = default)
    {
        if (_free.Count == 0)
        {
            var first = Nodes.SlotCount;
            Nodes.EnsureSlots(first + Nodes.ChunkSlots);
            for (var s = Nodes.SlotCount - 1; s >= first; s--)
            {
                _free.Push(s);
            }
        }

        var slot = _free.Pop();

        Nodes.SetVector(slot, vector);
        Nodes.SetHeader(slot, rowid, NodeState.Pending);
        Nodes.SetNeighbors(slot, []);
        Nodes.ResetReachability(slot);
        if (Nodes.Filters is { } filters)
        {
            filters.Set(slot, filterValues);
            filters.Join(slot);
        }

        _slotOfRowid.Add(rowid, slot);
        if (_maxRowId is { } max && rowid > max)
        {
            _maxRowId = rowid;
        }
        _pending.Add(slot);
        MarkDirty(slot);
        return slot;
    }

    /// <summary>
    /// Deletes a row. A linked node becomes a tombstone that keeps routing searches until consolidation;
    /// a pending node, which nothing points to yet, is freed at once.
    /// </summary>
    public void Remove(long rowid)
    {
        if (!_slotOfRowid.Remove(rowid, out var slot))
        {
            return;
        }

        if (rowid == _maxRowId)
        {
            _maxRowId = null;
        }

        Nodes.Filters?.Leave(slot);
        if (Nodes.State(slot) == NodeState.Pending)
        {
            _pending.Remove(slot);
            Nodes.SetHeader(slot, 0, NodeState.Free);
            Nodes.SetNeighbors(slot, []);
            Nodes.ResetReachability(slot);
            _free.Push(slot);
        }
        else
        {
            Nodes.SetState(slot, NodeState.Deleted);
            DeletedCount++;
        }

        MarkDirty(slot);
    }

    /// <summary>
    /// Gives a row a new rowid in place (an UPDATE of the rowid alone): the node, its vector and its edges stay as
    /// they are, so the graph does not change. The caller has checked that <paramref name="newRowid"/> is free.
    /// </summary>
    public void ChangeRowId(long oldRowid, long newRowid)
    {
        if (!_slotOfRowid.Remove(oldRowid, out var slot))
        {
            return;
        }

        _slotOfRowid.Add(newRowid, slot);
        Nodes.SetHeader(slot, newRowid, Nodes.State(slot));
        if (_maxRowId is { } max && newRowid > max)
        {
            _maxRowId = newRowid;
        }
        else if (oldRowid == _maxRowId)
        {
            _maxRowId = null;
        }

        MarkDirty(slot);
    }

    /// <summary>
    /// Sets the filter column values of a row in place (an UPDATE of filter columns only): the node keeps its vector
    /// and edges, and moves to its new partition if the partition key changed. Returns the slot, or -1 for no such row.
    /// </summary>
    public int SetFilterValues(long rowid, ReadOnlySpan<Filters.FilterValue> values)
    {
        if (Nodes.Filters is not { } filters || !_slotOfRowid.TryGetValue(rowid, out var slot))
        {
            return -1;
        }

        ForgetConfinedStarts(slot);
        filters.Leave(slot);
        filters.Set(slot, values);
        filters.Join(slot);
        ForgetConfinedStarts(slot);
        return slot;
    }

    /// <summary>The graph distance (squared for l2) between two stored nodes.</summary>
    public float Distance(int a, int b) => Nodes.Distance(a, b);

    private float Distance(ReadOnlySpan<float> query, float queryInverseNorm, int slot) => Nodes.Distance(query, queryInverseNorm, slot);

    /// <summary>The distance reported to SQL (see <see cref="NodeStore.ReportedDistance"/>).</summary>
    public float ReportedDistance(ReadOnlySpan<float> query, float queryInverseNorm, int slot, float graphDistance)
        => Nodes.ReportedDistance(query, queryInverseNorm, slot, graphDistance);

    /// <summary>
    /// A stored node's vector as a float32 query, with its inverse norm: the stored span itself, or its codes
    /// decoded into the scratch (an int8 store, or a budgeted one, which must not read vectors back here).
    /// </summary>
    private ReadOnlySpan<float> NodeAsQuery(int slot, SearchScratch scratch, out float inverseNorm)
    {
        if (Nodes.Quantization == DiskAnnQuantization.None && !Nodes.Paged)
        {
            inverseNorm = Nodes.InverseNorm(slot);
            return Nodes.Vector(slot);
        }

        var buffer = scratch.QueryBuffer(Options.Dimension);
        inverseNorm = Nodes.DecodeCodes(slot, buffer);
        return buffer;
    }

    /// <summary>
    /// One scratch per thread: searches and prunes never nest on a thread, and a shared pool (a ConcurrentBag
    /// was tried) cost the parallel build 15% of its time in lock contention.
    /// </summary>
    [ThreadStatic]
    private static SearchScratch? t_scratch;

    public SearchScratch RentScratch()
    {
        var scratch = t_scratch ?? new SearchScratch();
        t_scratch = null; // a nested rent (none today) would get its own rather than share this one
        return scratch;
    }

    public void ReturnScratch(SearchScratch scratch) => t_scratch = scratch;

    public void MarkDirty(int slot)
    {
        ForgetConfinedStarts(slot);
        if (_dirtyFlags.Length <= slot)
        {
            Array.Resize(ref _dirtyFlags, Math.Max(slot + 1, _dirtyFlags.Length * 2));
        }

        if (!_dirtyFlags[slot])
        {
            _dirtyFlags[slot] = true;
            DirtySlots.Add(slot);
        }
    }

    /// <summary>Called by the storage layer once the dirty slots are written.</summary>
    public void ClearDirty()
    {
        foreach (var slot in DirtySlots)
        {
            _dirtyFlags[slot] = false;
        }

        DirtySlots.Clear();
        HeaderDirty = false;
    }

    private void ForEach(int count, Action<int> body)
    {
        // Thread start-up costs more than a handful of searches. A budgeted int8 store reads vectors back
        // through the connection, which only its own thread may use.
        if (count < 8 || Environment.ProcessorCount == 1 || !Nodes.ParallelSafe)
        {
            for (var i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        Parallel.For(0, count, body);
    }
}
