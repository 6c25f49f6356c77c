using System.Collections.Concurrent;
using DiskAnn.Distance;

namespace DiskAnn.Graph;

/// <summary>
/// The Vamana graph over a <see cref="NodeStore"/>: greedy beam search from a fixed entry point (the medoid),
/// RobustPrune over the whole candidate set, batched parallel linking of pending nodes, and FreshDiskANN's
/// delete consolidation. It only changes memory; every slot it changes is recorded in <see cref="DirtySlots"/>
/// for the storage layer to write back.
/// </summary>
internal sealed class VamanaIndex
{
    private readonly List<int> _pending = [];
    private readonly Stack<int> _free = new();
    private readonly Dictionary<long, int> _slotOfRowid = [];
    private bool[] _dirtyFlags = [];
    private int _medoidBasis;

    public VamanaIndex(GraphOptions options, NodeStore nodes)
    {
        Options = options;
        Nodes = nodes;
    }

    public GraphOptions Options { get; }


    public NodeStore Nodes { get; }

    /// <summary>The medoid: the main entry point, or -1 while the graph is empty.</summary>
    public int Entry { get; private set; } = -1;

    /// <summary>
    /// Every search starts from the medoid and these seeds: up to 64 nodes spread over the data by
    /// farthest-first traversal of a sample. A single entry point cannot reach clusters that the graph joins
    /// by no edge (well-separated clusters in high dimension, where RobustPrune keeps no long edge); a seed in
    /// each region costs a few dozen distances per query and removes that failure.
    /// </summary>
    public int[] Seeds { get; private set; } = [];

    public int DeletedCount { get; private set; }

    /// <summary>Rows present (linked or pending).</summary>
    public int LiveCount => _slotOfRowid.Count;

    public int PendingCount => _pending.Count;

    /// <summary>Slots whose record changed since the storage layer last took them.</summary>
    public List<int> DirtySlots { get; } = [];

    /// <summary>True when the entry point changed since the storage layer last saved it.</summary>
    public bool HeaderDirty { get; set; }

    public IEnumerable<long> RowIds => _slotOfRowid.Keys;

    public bool TryGetSlot(long rowid, out int slot) => _slotOfRowid.TryGetValue(rowid, out slot);

    public long MaxRowId()
    {
        var max = 0L;
        foreach (var rowid in _slotOfRowid.Keys)
        {
            max = Math.Max(max, rowid);
        }

        return max;
    }

    /// <summary>Rebuilds the bookkeeping after the storage layer filled <see cref="Nodes"/>.</summary>
    public void AfterLoad(int entry, int[] seeds)
    {
        Entry = entry;
        Seeds = seeds;
        _slotOfRowid.Clear();
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
    }

    /// <summary>Stores a new row as a pending node and returns its slot. The caller has checked the rowid is new.</summary>
    public int Add(long rowid, ReadOnlySpan<float> vector)
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

        Nodes.SetVector(slot, vector, Options.Metric == DiskAnnMetric.Cosine ? VectorMath.InverseNorm(vector) : 0f);
        Nodes.SetHeader(slot, rowid, NodeState.Pending);
        Nodes.SetNeighbors(slot, []);
        _slotOfRowid.Add(rowid, slot);
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

        if (Nodes.State(slot) == NodeState.Pending)
        {
            _pending.Remove(slot);
            Nodes.SetHeader(slot, 0, NodeState.Free);
            Nodes.SetNeighbors(slot, []);
            _free.Push(slot);
        }
        else
        {
            Nodes.SetState(slot, NodeState.Deleted);
            DeletedCount++;
        }

        MarkDirty(slot);
    }

    /// <summary>The graph distance (squared for l2) between two stored nodes.</summary>
    public float Distance(int a, int b)
        => VectorMath.GraphDistance(Options.Metric, Nodes.Vector(a), Nodes.InverseNorm(a), Nodes.Vector(b), Nodes.InverseNorm(b));

    private float Distance(ReadOnlySpan<float> query, float queryInverseNorm, int slot)
        => VectorMath.GraphDistance(Options.Metric, query, queryInverseNorm, Nodes.Vector(slot), Nodes.InverseNorm(slot));

    /// <summary>The distance reported to SQL: exactly what vector_distance_* returns for the same two vectors.</summary>
    public float ReportedDistance(ReadOnlySpan<float> query, float queryInverseNorm, int slot, float graphDistance)
        => Options.Metric == DiskAnnMetric.L2
            ? VectorMath.Distance(Options.Metric, query, queryInverseNorm, Nodes.Vector(slot), Nodes.InverseNorm(slot))
            : graphDistance;

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

    /// <summary>
    /// GreedySearch: a beam search of list size <paramref name="listSize"/> from the entry point. Leaves the
    /// <paramref name="listSize"/> closest nodes found in the scratch pool (tombstones included: callers skip
    /// them) and, when <paramref name="recordExpanded"/>, every expanded node with its distance (the set V that
    /// RobustPrune chooses from).
    /// </summary>
    public void GreedySearch(ReadOnlySpan<float> query, float queryInverseNorm, int listSize, SearchScratch scratch, bool recordExpanded)
    {
        scratch.Begin(Nodes.SlotCount, listSize);
        if (Entry < 0)
        {
            return;
        }

        scratch.Visit(Entry);
        scratch.Offer(Entry, Distance(query, queryInverseNorm, Entry));
        foreach (var seed in Seeds)
        {
            if (Nodes.State(seed) is NodeState.Linked or NodeState.Deleted && scratch.Visit(seed))
            {
                scratch.Offer(seed, Distance(query, queryInverseNorm, seed));
            }
        }

        var next = 0;
        while (true)
        {
            // The closest candidate not expanded yet.
            while (next < scratch.PoolCount && scratch.Pool[next].Expanded)
            {
                next++;
            }

            if (next >= scratch.PoolCount)
            {
                break;
            }

            scratch.Pool[next].Expanded = true;
            var node = scratch.Pool[next].Slot;
            if (recordExpanded)
            {
                scratch.AddExpanded(node, scratch.Pool[next].Distance);
            }

            var neighbors = Nodes.Neighbors(node);
            if (scratch.Batch.Length < neighbors.Length)
            {
                scratch.Batch = new int[Nodes.Capacity];
            }

            var unvisited = 0;
            foreach (var neighbor in neighbors)
            {
                if (scratch.Visit(neighbor))
                {
                    Nodes.Prefetch(neighbor);
                    scratch.Batch[unvisited++] = neighbor;
                }
            }

            for (var i = 0; i < unvisited; i++)
            {
                var neighbor = scratch.Batch[i];
                var position = scratch.Offer(neighbor, Distance(query, queryInverseNorm, neighbor));
                if (position >= 0 && position < next)
                {
                    next = position;
                }
            }
        }
    }

    /// <summary>
    /// Exact distances to the given slots (the filtered search's path for small allowed sets, and the
    /// reference the graph is checked against). Leaves the <paramref name="k"/> closest in the scratch pool.
    /// </summary>
    public void ExactSearch(ReadOnlySpan<float> query, float queryInverseNorm, ReadOnlySpan<int> slots, int k, SearchScratch scratch)
    {
        scratch.Begin(Nodes.SlotCount, k);
        foreach (var slot in slots)
        {
            scratch.Offer(slot, Distance(query, queryInverseNorm, slot));
        }
    }

    /// <summary>
    /// RobustPrune(p, V, alpha, R): walks the candidates (already in the scratch candidate buffer, with their
    /// distances to p) nearest first and keeps one unless an already kept neighbour s occludes it
    /// (alpha * d(s, c) &lt;= d(p, c)). Duplicates, p itself and tombstones are dropped. Returns the count
    /// written to <see cref="SearchScratch.Selected"/>.
    /// </summary>
    public int RobustPrune(int p, SearchScratch scratch)
    {
        var maxDegree = Options.MaxDegree;
        var alpha = Options.Alpha;
        scratch.EnsureSelected(maxDegree);
        var count = scratch.CandidateCount;
        var distances = scratch.CandidateDistances.AsSpan(0, count);
        var slots = scratch.CandidateSlots.AsSpan(0, count);
        distances.Sort(slots);

        scratch.NewVisitedSet(Nodes.SlotCount);
        scratch.Visit(p);
        var selected = 0;
        for (var i = 0; i < count && selected < maxDegree; i++)
        {
            var c = slots[i];
            if (!scratch.Visit(c) || Nodes.State(c) != NodeState.Linked)
            {
                continue;
            }

            var dpc = distances[i];
            var occluded = false;
            for (var j = 0; j < selected; j++)
            {
                var dsc = Distance(scratch.Selected[j], c);
                // Distances of the dot metric can be negative, where scaling by alpha would invert the test.
                if (dpc > 0 ? alpha * dsc <= dpc : dsc <= dpc)
                {
                    occluded = true;
                    break;
                }
            }

            if (!occluded)
            {
                scratch.SelectedDistances[selected] = dpc;
                scratch.Selected[selected++] = c;
            }
        }

        return selected;
    }

    /// <summary>
    /// Links every pending node into the graph. Nodes are taken in batches whose size doubles up to 2% of
    /// the index (ParlayANN's prefix doubling): within a batch, each node searches the graph as it stood at
    /// the start of the batch and prunes its out-edges in parallel; back-edges are then grouped by target and
    /// each target merged (and pruned if over R) in parallel. No locks: the phases touch disjoint nodes.
    /// </summary>
    public void LinkPending()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var pending = _pending.ToArray();
        _pending.Clear();
        var random = new Random(pending.Length ^ Nodes.SlotCount);
        random.Shuffle(pending);

        var start = 0;
        if (Entry < 0 || Nodes.State(Entry) == NodeState.Free)
        {
            // An empty graph starts at the medoid of what is being loaded.
            var medoid = Medoid(pending);
            var index = Array.IndexOf(pending, medoid);
            (pending[0], pending[index]) = (pending[index], pending[0]);
            Nodes.SetState(medoid, NodeState.Linked);
            Nodes.SetNeighbors(medoid, []);
            MarkDirty(medoid);
            Entry = medoid;
            Seeds = [];
            _medoidBasis = 1;
            HeaderDirty = true;
            start = 1;
        }

        var graphSize = LiveCount - pending.Length + start + DeletedCount;
        var maxBatch = Math.Max(1, (int)((LiveCount + DeletedCount) * 0.02));
        var outEdges = new int[Math.Min(maxBatch, pending.Length)][];
        while (start < pending.Length)
        {
            var batch = Math.Min(Math.Min(Math.Max(graphSize, 1), maxBatch), pending.Length - start);
            var slots = new ArraySegment<int>(pending, start, batch);
            ForEach(batch, i =>
            {
                var scratch = RentScratch();
                try
                {
                    var x = slots[i];
                    var query = Nodes.Vector(x);
                    GreedySearch(query, Nodes.InverseNorm(x), Options.BuildListSize, scratch, recordExpanded: true);
                    scratch.ClearCandidates();
                    for (var j = 0; j < scratch.ExpandedCount; j++)
                    {
                        scratch.AddCandidate(scratch.ExpandedSlots[j], scratch.ExpandedDistances[j]);
                    }

                    var selected = RobustPrune(x, scratch);
                    outEdges[i] = scratch.Selected.AsSpan(0, selected).ToArray();
                }
                finally
                {
                    ReturnScratch(scratch);
                }
            });

            // Out-edges, then the back-edges grouped by target.
            var backEdges = new Dictionary<int, List<int>>();
            for (var i = 0; i < batch; i++)
            {
                var x = slots[i];
                Nodes.SetNeighbors(x, outEdges[i]);
                Nodes.SetState(x, NodeState.Linked);
                MarkDirty(x);
                foreach (var target in outEdges[i])
                {
                    if (!backEdges.TryGetValue(target, out var sources))
                    {
                        backEdges[target] = sources = [];
                    }

                    sources.Add(x);
                }
            }

            var targets = backEdges.Keys.ToArray();
            ForEach(targets.Length, i => AddBackEdges(targets[i], backEdges[targets[i]]));
            foreach (var target in targets)
            {
                MarkDirty(target);
            }

            foreach (var x in slots)
            {
                RepairOrphan(x);
            }

            RepairOrphans();

            start += batch;
            graphSize += batch;
            MaybeRecomputeEntry(linkedCount: graphSize);
        }

        RepairOrphans();
        MaybeRecomputeEntry();
    }

    /// <summary>RobustPrune over a node's current list plus extra candidates, stored back as its list.</summary>
    private void PruneList(int target, List<int> extra)
    {
        var scratch = RentScratch();
        try
        {
            scratch.ClearCandidates();
            foreach (var n in Nodes.Neighbors(target))
            {
                Nodes.Prefetch(n);
            }

            foreach (var s in extra)
            {
                Nodes.Prefetch(s);
            }

            foreach (var n in Nodes.Neighbors(target))
            {
                scratch.AddCandidate(n, Distance(target, n));
            }

            foreach (var s in extra)
            {
                scratch.AddCandidate(s, Distance(target, s));
            }

            var selected = RobustPrune(target, scratch);
            Nodes.SetNeighbors(target, scratch.Selected.AsSpan(0, selected));
        }
        finally
        {
            ReturnScratch(scratch);
        }
    }

    private void AddBackEdges(int target, List<int> sources)
    {
        var current = Nodes.Neighbors(target);
        if (current.Length + sources.Count <= Nodes.Capacity)
        {
            Span<int> merged = stackalloc int[current.Length + sources.Count];
            current.CopyTo(merged);
            var count = current.Length;
            foreach (var s in sources)
            {
                if (!current.Contains(s))
                {
                    merged[count++] = s;
                }
            }

            Nodes.SetNeighbors(target, merged[..count]);
            return;
        }

        PruneList(target, sources);
    }

    /// <summary>
    /// Gives a linked node that no edge points at (an outlier whose back-edges were all pruned away) one
    /// in-edge again, from the nearest of its own out-neighbours: appended if that list has room, otherwise
    /// replacing its farthest neighbour that has another in-edge. Without this such a row could never be found.
    /// </summary>
    private void RepairOrphans()
    {
        while (Nodes.Orphans.TryTake(out var orphan))
        {
            RepairOrphan(orphan);
        }
    }

    private void RepairOrphan(int y)
    {
        if (Nodes.State(y) != NodeState.Linked || y == Entry || Nodes.InDegree(y) > 0)
        {
            return;
        }

        Span<int> list = stackalloc int[Nodes.Capacity];
        foreach (var j in Nodes.Neighbors(y))
        {
            if (Nodes.State(j) != NodeState.Linked)
            {
                continue;
            }

            var current = Nodes.Neighbors(j);
            current.CopyTo(list);
            if (current.Length < Nodes.Capacity)
            {
                list[current.Length] = y;
                Nodes.SetNeighbors(j, list[..(current.Length + 1)]);
                MarkDirty(j);
                return;
            }

            for (var i = current.Length - 1; i >= 0; i--)
            {
                if (Nodes.InDegree(current[i]) > 1)
                {
                    list[i] = y;
                    Nodes.SetNeighbors(j, list[..current.Length]);
                    MarkDirty(j);
                    return;
                }
            }
        }
    }

    /// <summary>
    /// FreshDiskANN's consolidation: every linked node with an edge to a tombstone replaces it by the
    /// tombstone's own live out-neighbours, pruned back to R; then the tombstones become free slots.
    /// </summary>
    public void ConsolidateDeletes()
    {
        if (DeletedCount == 0)
        {
            return;
        }

        LinkPending();
        var slotCount = Nodes.SlotCount;
        var changed = new ConcurrentBag<int>();
        ForEach(slotCount, p =>
        {
            if (Nodes.State(p) != NodeState.Linked)
            {
                return;
            }

            var neighbors = Nodes.Neighbors(p);
            var touchesDeleted = false;
            foreach (var n in neighbors)
            {
                if (Nodes.State(n) != NodeState.Linked)
                {
                    touchesDeleted = true;
                    break;
                }
            }

            if (!touchesDeleted)
            {
                return;
            }

            var scratch = RentScratch();
            try
            {
                scratch.ClearCandidates();
                foreach (var n in neighbors)
                {
                    if (Nodes.State(n) == NodeState.Linked)
                    {
                        scratch.AddCandidate(n, Distance(p, n));
                        continue;
                    }

                    foreach (var m in Nodes.Neighbors(n))
                    {
                        if (m != p && Nodes.State(m) == NodeState.Linked)
                        {
                            scratch.AddCandidate(m, Distance(p, m));
                        }
                    }
                }

                var selected = RobustPrune(p, scratch);
                Nodes.SetNeighbors(p, scratch.Selected.AsSpan(0, selected));
                changed.Add(p);
            }
            finally
            {
                ReturnScratch(scratch);
            }
        });

        foreach (var p in changed)
        {
            MarkDirty(p);
        }


        var entryDeleted = Entry >= 0 && Nodes.State(Entry) != NodeState.Linked;
        if (Seeds.Any(seed => Nodes.State(seed) != NodeState.Linked))
        {
            Seeds = [.. Seeds.Where(seed => Nodes.State(seed) == NodeState.Linked)];
            HeaderDirty = true;
        }

        for (var slot = 0; slot < slotCount; slot++)
        {
            if (Nodes.State(slot) == NodeState.Deleted)
            {
                Nodes.SetHeader(slot, 0, NodeState.Free);
                Nodes.SetNeighbors(slot, []);
                _free.Push(slot);
                MarkDirty(slot);
            }
        }

        DeletedCount = 0;
        if (entryDeleted)
        {
            Entry = -1;
            HeaderDirty = true;
            MaybeRecomputeEntry(force: true);
        }

        RepairOrphans();
    }

    /// <summary>
    /// Moves the nodes in the highest slots into free slots lower down until the trailing chunks are empty,
    /// renumbering the edges that point at them, and drops those chunks from memory. Returns the slots whose
    /// vectors moved (the storage layer writes them, and deletes the dropped chunks) so that VACUUM can then
    /// give the space back.
    /// </summary>
    public List<int> Compact()
    {
        ConsolidateDeletes();
        LinkPending();
        var chunkSlots = Nodes.ChunkSlots;
        var keepChunks = (LiveCount + chunkSlots - 1) / chunkSlots;
        var limit = keepChunks * chunkSlots;
        var moved = new List<int>();
        if (keepChunks >= Nodes.ChunkCount)
        {
            return moved;
        }

        var remap = new Dictionary<int, int>();
        var target = 0;
        for (var slot = limit; slot < Nodes.SlotCount; slot++)
        {
            if (Nodes.State(slot) == NodeState.Free)
            {
                continue;
            }

            while (Nodes.State(target) != NodeState.Free)
            {
                target++;
            }

            Nodes.SetVector(target, Nodes.Vector(slot), Nodes.InverseNorm(slot));
            Nodes.SetHeader(target, Nodes.RowId(slot), Nodes.State(slot));
            Nodes.SetNeighbors(target, Nodes.Neighbors(slot));
            _slotOfRowid[Nodes.RowId(slot)] = target;
            Nodes.SetHeader(slot, 0, NodeState.Free);
            Nodes.SetNeighbors(slot, []);
            remap[slot] = target;
            moved.Add(target);
        }

        Span<int> buffer = stackalloc int[Nodes.Capacity];
        for (var slot = 0; slot < limit; slot++)
        {
            var neighbors = Nodes.Neighbors(slot);
            var changed = false;
            for (var i = 0; i < neighbors.Length; i++)
            {
                buffer[i] = remap.TryGetValue(neighbors[i], out var to) ? to : neighbors[i];
                changed |= buffer[i] != neighbors[i];
            }

            if (changed)
            {
                Nodes.SetNeighbors(slot, buffer[..neighbors.Length]);
                MarkDirty(slot);
            }
        }

        if (remap.TryGetValue(Entry, out var entry))
        {
            Entry = entry;
        }

        Seeds = [.. Seeds.Select(seed => remap.GetValueOrDefault(seed, seed)).Where(seed => seed < limit)];

        HeaderDirty = true;
        Nodes.TruncateChunks(keepChunks);
        foreach (var slot in moved)
        {
            MarkDirty(slot);
        }

        DirtySlots.RemoveAll(slot => slot >= limit);
        if (_dirtyFlags.Length > limit)
        {
            Array.Clear(_dirtyFlags, limit, _dirtyFlags.Length - limit);
        }
        _free.Clear();
        for (var slot = limit - 1; slot >= 0; slot--)
        {
            if (Nodes.State(slot) == NodeState.Free)
            {
                _free.Push(slot);
            }
        }

        return moved;
    }

    /// <summary>Drops every edge and links all rows again from scratch (the 'rebuild' command).</summary>
    public void Rebuild()
    {
        for (var slot = 0; slot < Nodes.SlotCount; slot++)
        {
            switch (Nodes.State(slot))
            {
                case NodeState.Deleted:
                    Nodes.SetHeader(slot, 0, NodeState.Free);
                    _free.Push(slot);
                    break;
                case NodeState.Linked:
                    Nodes.SetState(slot, NodeState.Pending);
                    _pending.Add(slot);
                    break;
            }

            Nodes.SetNeighbors(slot, []);
            MarkDirty(slot);
        }

        DeletedCount = 0;
        Entry = -1;
        Seeds = [];
        HeaderDirty = true;
        LinkPending();
    }

    /// <summary>Moves the entry point to the medoid again when the index has doubled or shrunk by half since it was chosen.</summary>
    private void MaybeRecomputeEntry(bool force = false, int linkedCount = -1)
    {
        var live = linkedCount >= 0 ? linkedCount : LiveCount - PendingCount;
        if (!force && live <= 2 * _medoidBasis && 2 * live >= _medoidBasis && Entry >= 0)
        {
            return;
        }

        _medoidBasis = live;
        var linked = new List<int>(live);
        for (var slot = 0; slot < Nodes.SlotCount; slot++)
        {
            if (Nodes.State(slot) == NodeState.Linked)
            {
                linked.Add(slot);
            }
        }

        var entry = linked.Count == 0 ? -1 : Medoid(linked.ToArray());
        Entry = entry;
        Seeds = entry < 0 ? [] : ChooseSeeds(linked, entry);
        HeaderDirty = true;
    }

    /// <summary>Farthest-first traversal of a sample of the linked nodes, starting from the medoid.</summary>
    private int[] ChooseSeeds(List<int> linked, int medoid)
    {
        var count = Math.Clamp((int)Math.Sqrt(linked.Count) / 2, 1, 64);
        var random = new Random(linked.Count);
        var sample = linked.Count <= 4096 ? linked.ToArray() : Enumerable.Range(0, 4096).Select(_ => linked[random.Next(linked.Count)]).ToArray();
        var nearest = new float[sample.Length];
        var seeds = new List<int>(count) { medoid };
        for (var i = 0; i < sample.Length; i++)
        {
            nearest[i] = Distance(medoid, sample[i]);
        }

        while (seeds.Count < count)
        {
            var far = 0;
            for (var i = 1; i < sample.Length; i++)
            {
                if (nearest[i] > nearest[far])
                {
                    far = i;
                }
            }

            if (nearest[far] <= 0)
            {
                break; // every sampled node is a seed or a duplicate of one
            }

            var seed = sample[far];
            seeds.Add(seed);
            for (var i = 0; i < sample.Length; i++)
            {
                nearest[i] = Math.Min(nearest[i], Distance(seed, sample[i]));
            }
        }

        return [.. seeds];
    }

    /// <summary>The slot nearest the centroid of <paramref name="slots"/>.</summary>
    private int Medoid(int[] slots)
    {
        var dimension = Options.Dimension;
        var centroid = new float[dimension];
        var sum = new double[dimension];
        foreach (var slot in slots)
        {
            var v = Nodes.Vector(slot);
            var scale = Options.Metric == DiskAnnMetric.Cosine ? Nodes.InverseNorm(slot) : 1f;
            for (var i = 0; i < dimension; i++)
            {
                sum[i] += v[i] * scale;
            }
        }

        for (var i = 0; i < dimension; i++)
        {
            centroid[i] = (float)(sum[i] / slots.Length);
        }

        var inverse = Options.Metric == DiskAnnMetric.Cosine ? VectorMath.InverseNorm(centroid) : 0f;
        var best = slots[0];
        var bestDistance = float.PositiveInfinity;
        var metric = Options.Metric == DiskAnnMetric.Dot ? DiskAnnMetric.L2 : Options.Metric;
        foreach (var slot in slots)
        {
            var d = VectorMath.Distance(metric, centroid, inverse, Nodes.Vector(slot), Nodes.InverseNorm(slot));
            if (d < bestDistance)
            {
                bestDistance = d;
                best = slot;
            }
        }

        return best;
    }

    public void MarkDirty(int slot)
    {
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

    private static void ForEach(int count, Action<int> body)
    {
        // Thread start-up costs more than a handful of searches.
        if (count < 8 || Environment.ProcessorCount == 1)
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
