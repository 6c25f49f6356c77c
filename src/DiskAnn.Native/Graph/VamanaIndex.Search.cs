namespace DiskAnn.Graph;

/// <summary>GreedySearch (the beam search from the entry point and seeds) and the exact search of a given set.</summary>
internal sealed partial class VamanaIndex
{
    /// <summary>
    /// GreedySearch: a beam search of list size <paramref name="listSize"/> from the entry point. Leaves the
    /// <paramref name="listSize"/> closest nodes found in the scratch pool (tombstones included: callers skip
    /// them) and, when <paramref name="recordExpanded"/>, every expanded node with its distance (the set V that
    /// RobustPrune chooses from). With <paramref name="growable"/>, the candidates the list drops are kept aside so that
    /// <see cref="WidenBeam"/> can go on with a longer list.
    /// </summary>
    public void GreedySearch(ReadOnlySpan<float> query, float queryInverseNorm, int listSize, SearchScratch scratch, bool recordExpanded, bool growable = false)
    {
        scratch.Begin(Nodes.SlotCount, listSize);
        scratch.KeepDropped = growable;
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

        Beam(query, queryInverseNorm, scratch, recordExpanded, null, null);
    }

    /// <summary>
    /// GreedySearch confined to one partition of a partitioned table: it starts from <paramref name="starts"/> (linked
    /// rows of the partition) and follows only edges to rows of it, so it costs about what a search of an index of those rows alone costs (the
    /// partition-aware RobustPrune keeps such edges). The pool may hold fewer than the list size when the partition's
    /// rows are few or not all reachable from the starts; callers check.
    /// </summary>
    public void ConfinedGreedySearch(ReadOnlySpan<float> query, float queryInverseNorm, int listSize, long? partition, IReadOnlyList<int> starts, SearchScratch scratch, bool recordExpanded)
    {
        scratch.Begin(Nodes.SlotCount, listSize);
        var filters = Nodes.Filters!;
        foreach (var start in starts)
        {
            if (scratch.Visit(start))
            {
                scratch.Offer(start, Distance(query, queryInverseNorm, start));
            }
        }

        Beam(query, queryInverseNorm, scratch, recordExpanded, filters, partition);
    }

    /// <summary>
    /// Goes on with a finished growable <see cref="GreedySearch"/> as if its list had been <paramref name="listSize"/>
    /// from the start: the nearest candidates it dropped come back into the list, and the beam expands what is left.
    /// </summary>
    public void WidenBeam(ReadOnlySpan<float> query, float queryInverseNorm, int listSize, SearchScratch scratch)
    {
        scratch.Grow(listSize);
        Beam(query, queryInverseNorm, scratch, recordExpanded: false, null, null);
    }

    /// <summary>The beam of GreedySearch from what the pool holds: expands the nearest node not expanded until none is left.</summary>
    private void Beam(ReadOnlySpan<float> query, float queryInverseNorm, SearchScratch scratch, bool recordExpanded, Filters.FilterColumnStore? confinedTo, long? partition)
    {
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

            var unvisited = confinedTo is null ? GatherUnvisited(node, scratch) : GatherUnvisitedIn(node, confinedTo, partition, scratch);
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
    /// The neighbours of <paramref name="node"/> not visited yet, marked visited, into <see cref="SearchScratch.Batch"/>
    /// (returns how many), their vectors prefetched so the distances that follow find them in cache.
    /// </summary>
    private int GatherUnvisited(int node, SearchScratch scratch)
    {
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

        return unvisited;
    }

    /// <summary>As <see cref="GatherUnvisited"/>, only the neighbours in <paramref name="partition"/>.</summary>
    private int GatherUnvisitedIn(int node, Filters.FilterColumnStore filters, long? partition, SearchScratch scratch)
    {
        var neighbors = Nodes.Neighbors(node);
        if (scratch.Batch.Length < neighbors.Length)
        {
            scratch.Batch = new int[Nodes.Capacity];
        }

        var unvisited = 0;
        foreach (var neighbor in neighbors)
        {
            if (scratch.Visit(neighbor) && filters.InPartition(neighbor, partition))
            {
                Nodes.Prefetch(neighbor);
                scratch.Batch[unvisited++] = neighbor;
            }
        }

        return unvisited;
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
            scratch.Offer(slot, Nodes.ExactDistance(query, queryInverseNorm, slot));
        }
    }
}
