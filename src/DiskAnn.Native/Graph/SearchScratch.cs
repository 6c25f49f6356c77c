namespace DiskAnn.Graph;

/// <summary>
/// Per-thread working memory of a search or a prune, reused from call to call so the hot loops allocate
/// nothing: a visited set as generation stamps (clearing is one increment), the sorted candidate pool of the
/// beam search, the list of expanded nodes, and candidate buffers for RobustPrune.
/// </summary>
internal sealed class SearchScratch
{
    private int[] _stamps = [];
    private int _stamp;

    /// <summary>The beam: candidates sorted by distance, as one array of structs so an insertion moves one block.</summary>
    public PoolEntry[] Pool = [];
    public int PoolCount;
    public int PoolCapacity;

    public int[] ExpandedSlots = new int[256];
    public float[] ExpandedDistances = new float[256];
    public int ExpandedCount;

    public int[] CandidateSlots = new int[256];
    public float[] CandidateDistances = new float[256];
    public int CandidateCount;

    public int[] Selected = [];
    public float[] SelectedDistances = [];

    public float[] Query = [];

    private byte[] _allowed = [];

    /// <summary>
    /// A mask over the slots for a filtered search, all zero: the caller sets the allowed slots and clears them again
    /// when done, so one mask serves every query on this thread without clearing the whole array.
    /// </summary>
    public byte[] AllowedMask(int slotCount)
    {
        if (_allowed.Length < slotCount)
        {
            _allowed = new byte[slotCount];
        }

        return _allowed;
    }

    /// <summary>The filtered search's frontier: every node reached, nearest first (non-matching ones are walked through).</summary>
    public readonly PriorityQueue<int, float> Frontier = new();

    /// <summary>Slots a filtered search may return, gathered by the caller (reused from query to query).</summary>
    public readonly List<int> Matching = [];

    // A sketch-preselected scan's working memory (see ScanBuffers).
    private int[] _scanBits = [];
    private int[] _scanHistogram = [];
    private ulong[] _querySketch = [];
    private int[] _scanKept = [];

    /// <summary>The unvisited neighbours of the node being expanded, gathered so their vectors can be prefetched first.</summary>
    public int[] Batch = new int[64];

    /// <summary>The starting rows of a search confined to a partition.</summary>
    public readonly List<int> Starts = [];

    /// <summary>Starts a new visited set over <paramref name="slotCount"/> slots and an empty pool of capacity <paramref name="listSize"/>.</summary>
    public void Begin(int slotCount, int listSize)
    {
        NewVisitedSet(slotCount);
        if (Pool.Length < listSize + 1)
        {
            Pool = new PoolEntry[listSize + 1];
        }

        PoolCount = 0;
        PoolCapacity = listSize;
        ExpandedCount = 0;
        KeepDropped = false;
        _droppedCount = 0;
    }

    /// <summary>
    /// Whether the candidates a full pool turns away or evicts are kept aside (until the next <see cref="Begin"/>), so
    /// that <see cref="Grow"/> can widen the list of a finished beam and the search resume where it stopped.
    /// </summary>
    public bool KeepDropped;

    private PoolEntry[] _dropped = new PoolEntry[256];
    private int _droppedCount;

    /// <summary>
    /// Widens the pool to <paramref name="listSize"/> and fills it with the nearest candidates dropped so far (kept with
    /// <see cref="KeepDropped"/>). Every dropped candidate lies at or beyond the pool's farthest (once full, the pool's
    /// farthest only comes nearer), so they go after the pool's entries, in order, as a search with the wider list
    /// would have kept them; expanded ones stay expanded.
    /// </summary>
    public void Grow(int listSize)
    {
        if (listSize <= PoolCapacity)
        {
            return;
        }

        if (Pool.Length < listSize + 1)
        {
            Array.Resize(ref Pool, listSize + 1);
        }

        PoolCapacity = listSize;
        var dropped = _dropped.AsSpan(0, _droppedCount);
        var taken = Math.Min(dropped.Length, listSize - PoolCount);
        if (taken == 0)
        {
            return;
        }

        // The nearest `taken` to the front (a max-heap of them, one pass over the rest: the dropped can be many times
        // the list), in order; the others stay dropped, in no order.
        var heap = dropped[..taken];
        for (var i = (taken / 2) - 1; i >= 0; i--)
        {
            SiftDown(heap, i);
        }

        for (var i = taken; i < dropped.Length; i++)
        {
            if (dropped[i].Distance < heap[0].Distance)
            {
                (dropped[i], heap[0]) = (heap[0], dropped[i]);
                SiftDown(heap, 0);
            }
        }

        heap.Sort(static (a, b) => a.Distance.CompareTo(b.Distance));
        heap.CopyTo(Pool.AsSpan(PoolCount));
        PoolCount += taken;
        dropped[taken..].CopyTo(_dropped);
        _droppedCount -= taken;
    }

    /// <summary>
    /// Every candidate a finished growable beam measured (its pool and what it dropped, with whether each was expanded),
    /// the pool emptied to capacity <paramref name="listSize"/> and no longer keeping what it drops: for the filtered
    /// walk to go on from (see VamanaIndex.ResumeAsWalk). Valid until the next <see cref="Begin"/> or <see cref="Grow"/>.
    /// </summary>
    public ReadOnlySpan<PoolEntry> TakeMeasured(int listSize)
    {
        KeepDropped = false;
        for (var i = 0; i < PoolCount; i++)
        {
            Drop(Pool[i]);
        }

        if (Pool.Length < listSize + 1)
        {
            Pool = new PoolEntry[listSize + 1];
        }

        PoolCount = 0;
        PoolCapacity = listSize;
        return _dropped.AsSpan(0, _droppedCount);
    }

    /// <summary>Restores the max-heap order (by distance) below <paramref name="at"/>.</summary>
    private static void SiftDown(Span<PoolEntry> heap, int at)
    {
        while (true)
        {
            var largest = at;
            var left = (2 * at) + 1;
            if (left < heap.Length && heap[left].Distance > heap[largest].Distance)
            {
                largest = left;
            }

            if (left + 1 < heap.Length && heap[left + 1].Distance > heap[largest].Distance)
            {
                largest = left + 1;
            }

            if (largest == at)
            {
                return;
            }

            (heap[at], heap[largest]) = (heap[largest], heap[at]);
            at = largest;
        }
    }

    private void Drop(PoolEntry entry)
    {
        if (_droppedCount == _dropped.Length)
        {
            Array.Resize(ref _dropped, _droppedCount * 2);
        }

        _dropped[_droppedCount++] = entry;
    }

    public void NewVisitedSet(int slotCount)
    {
        if (_stamps.Length < slotCount)
        {
            _stamps = new int[Math.Max(slotCount, _stamps.Length * 2)];
            _stamp = 0;
        }

        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_stamps);
            _stamp = 1;
        }
    }

    /// <summary>True the first time a slot is seen in this visited set.</summary>
    public bool Visit(int slot)
    {
        if (_stamps[slot] == _stamp)
        {
            return false;
        }

        _stamps[slot] = _stamp;
        return true;
    }

    /// <summary>
    /// Inserts into the pool kept sorted by distance, dropping the farthest when full. Returns the position,
    /// or -1 when the candidate is no closer than a full pool's farthest.
    /// </summary>
    public int Offer(int slot, float distance)
    {
        var count = PoolCount;
        var pool = Pool;
        if (count == PoolCapacity && distance >= pool[count - 1].Distance)
        {
            if (KeepDropped)
            {
                Drop(new PoolEntry(distance, slot));
            }

            return -1;
        }

        if (count == PoolCapacity && KeepDropped)
        {
            Drop(pool[count - 1]); // evicted below
        }

        var lo = 0;
        var hi = count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (pool[mid].Distance <= distance)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        var move = (count == PoolCapacity ? count - 1 : count) - lo;
        if (move > 0)
        {
            Array.Copy(pool, lo, pool, lo + 1, move);
        }

        pool[lo] = new PoolEntry(distance, slot);
        if (count < PoolCapacity)
        {
            PoolCount = count + 1;
        }

        return lo;
    }

    public void AddExpanded(int slot, float distance) => Append(ref ExpandedSlots, ref ExpandedDistances, ref ExpandedCount, slot, distance);

    public void ClearCandidates() => CandidateCount = 0;

    private byte[] _pruneKinds = [];
    private bool[] _pruneKeptInPartition = [];

    /// <summary>RobustPrune's per-candidate marks on a partitioned table (own partition, examined), for <paramref name="count"/> candidates.</summary>
    public Span<byte> PruneKinds(int count)
    {
        if (_pruneKinds.Length < count)
        {
            _pruneKinds = new byte[Math.Max(count, _pruneKinds.Length * 2)];
        }

        return _pruneKinds.AsSpan(0, count);
    }

    /// <summary>RobustPrune's mark per kept edge on a partitioned table: whether it stays within the partition.</summary>
    public Span<bool> PruneKeptInPartition(int maxDegree)
    {
        if (_pruneKeptInPartition.Length < maxDegree)
        {
            _pruneKeptInPartition = new bool[maxDegree];
        }

        return _pruneKeptInPartition.AsSpan(0, maxDegree);
    }

    public void AddCandidate(int slot, float distance) => Append(ref CandidateSlots, ref CandidateDistances, ref CandidateCount, slot, distance);

    /// <summary>Appends a (slot, distance) pair to a pair of parallel buffers, doubling them when full.</summary>
    private static void Append(ref int[] slots, ref float[] distances, ref int count, int slot, float distance)
    {
        if (count == slots.Length)
        {
            Array.Resize(ref slots, count * 2);
            Array.Resize(ref distances, count * 2);
        }

        slots[count] = slot;
        distances[count++] = distance;
    }

    public void EnsureSelected(int maxDegree)
    {
        if (Selected.Length < maxDegree)
        {
            Selected = new int[maxDegree];
            SelectedDistances = new float[maxDegree];
        }
    }

    /// <summary>
    /// Room for a sketch-preselected scan of <paramref name="rows"/> rows: the query's sketch (at least
    /// <paramref name="words"/> words), a sketch distance per row, a histogram of <paramref name="bins"/> distances (the
    /// first bins cleared), and the rows kept.
    /// </summary>
    public (ulong[] QuerySketch, int[] Bits, int[] Histogram, int[] Kept) ScanBuffers(int words, int rows, int bins, int keep)
    {
        if (_querySketch.Length < words)
        {
            _querySketch = new ulong[words];
        }

        if (_scanBits.Length < rows)
        {
            _scanBits = new int[Math.Max(rows, _scanBits.Length * 2)];
        }

        if (_scanHistogram.Length < bins)
        {
            _scanHistogram = new int[bins];
        }

        if (_scanKept.Length < keep)
        {
            _scanKept = new int[keep];
        }

        Array.Clear(_scanHistogram, 0, bins);
        return (_querySketch, _scanBits, _scanHistogram, _scanKept);
    }

    /// <summary>Room for one float32 vector: an int8 node decoded to serve as a query while linking.</summary>
    public Span<float> QueryBuffer(int dimension)
    {
        if (Query.Length < dimension)
        {
            Query = new float[dimension];
        }

        return Query.AsSpan(0, dimension);
    }
}

/// <summary>One candidate of the beam.</summary>
internal struct PoolEntry(float distance, int slot)
{
    public float Distance = distance;
    public int Slot = slot;
    public bool Expanded;
}
