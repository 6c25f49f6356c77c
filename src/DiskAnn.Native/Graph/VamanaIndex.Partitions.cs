namespace DiskAnn.Graph;

/// <summary>
/// Partitions in the graph: a row is linked to rows of its own partition as well (Filtered-DiskANN's per-label
/// search), and a search confined to one partition starts from rows from which every row of the partition can be
/// reached over edges inside it.
/// </summary>
internal sealed partial class VamanaIndex
{
    /// <summary>
    /// The starts of searches confined to each partition, per version of the index: computed by the first such search
    /// and kept while nothing in the partition changes (any record written in it drops them). Readers of a shared
    /// version may compute them at once; each writes the same answer.
    /// </summary>
    private System.Collections.Concurrent.ConcurrentDictionary<(bool Null, long Key), int[]> _confinedStarts = new();

    /// <summary>
    /// Linking a row of a partitioned table: besides what the search of the whole graph found, the rows of its own
    /// partition nearest it, found by a search confined to the partition (Filtered-DiskANN's per-label search). The
    /// whole graph's list holds few of them when the partition is a small share of the rows, and without them a
    /// partition's rows would not be linked to each other well enough for a search that stays inside it. A row that
    /// joined its partition while it was small enough to scan has only the edges RobustPrune kept within it; the
    /// confined search's starts still reach it.
    /// </summary>
    private void AddPartitionCandidates(int x, ReadOnlySpan<float> query, float queryInverseNorm, SearchScratch scratch)
    {
        if (Nodes.Filters is not { PartitionColumn: >= 0, Partitions: { } partitions } filters)
        {
            return;
        }

        // Only where a query at the table's search_list_size would search inside the partition: smaller ones are scanned.
        var key = filters.PartitionOf(x);
        if (!SearchableInside(key, Options.SearchListSize))
        {
            return;
        }

        var members = partitions.Slots(key);

        // Linked rows spread over the partition are enough here: the rows being linked change it all the time.
        var starts = scratch.Starts;
        starts.Clear();
        PartitionWalk.Starts(Nodes, members, starts);
        ConfinedGreedySearch(query, queryInverseNorm, Options.BuildListSize, key, starts, scratch, recordExpanded: true);
        for (var i = 0; i < scratch.ExpandedCount; i++)
        {
            scratch.AddCandidate(scratch.ExpandedSlots[i], scratch.ExpandedDistances[i]);
        }
    }

    /// <summary>
    /// Where a search confined to <paramref name="partition"/> starts: rows spread over it (<see cref="PartitionWalk.Starts"/>)
    /// and, added to them, every row a breadth-first walk over the partition's own edges does not reach from those (and
    /// from the rows added before it). So every row of the partition can be reached by the search, whatever the
    /// history of the graph: RobustPrune and deletes can leave a row without an edge from its partition.
    /// </summary>
    private int[] ConfinedStarts(long? partition)
    {
        var key = (partition is null, partition ?? 0);
        if (_confinedStarts.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var filters = Nodes.Filters!;
        var members = filters.Partitions!.Slots(partition);
        var starts = new List<int>();
        PartitionWalk.Starts(Nodes, members, starts);
        var reached = new HashSet<int>();
        var queue = new Queue<int>();
        void Walk(int start)
        {
            if (!reached.Add(start))
            {
                return;
            }

            queue.Enqueue(start);
            while (queue.TryDequeue(out var slot))
            {
                foreach (var n in Nodes.Neighbors(slot))
                {
                    if (filters.InPartition(n, partition) && reached.Add(n))
                    {
                        queue.Enqueue(n);
                    }
                }
            }
        }

        foreach (var start in starts)
        {
            Walk(start);
        }

        foreach (var slot in members)
        {
            if (Nodes.State(slot) == NodeState.Linked && !reached.Contains(slot))
            {
                starts.Add(slot);
                Walk(slot);
            }
        }

        var result = starts.ToArray();
        _confinedStarts[key] = result;
        return result;
    }

    /// <summary>A record of <paramref name="slot"/> changed: the confined starts of its partition no longer hold.</summary>
    private void ForgetConfinedStarts(int slot)
    {
        if (!_confinedStarts.IsEmpty && Nodes.Filters is { Partitions: not null } filters)
        {
            var partition = filters.PartitionOf(slot);
            _confinedStarts.TryRemove((partition is null, partition ?? 0), out _);
        }
    }
}
