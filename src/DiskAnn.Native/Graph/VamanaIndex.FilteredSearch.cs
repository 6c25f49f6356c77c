namespace DiskAnn.Graph;

/// <summary>The graph search of a filtered query (Filtered-DiskANN's idea on an unlabelled graph).</summary>
internal sealed partial class VamanaIndex
{
    /// <summary>How many rows of the query's partitions join the entry point as starting points.</summary>
    private const int PartitionStarts = 8;

    /// <summary>Partitions of fewer rows are not searched apart when a row is linked: queries scan them.</summary>
    private const int MinPartitionSearchRows = 64;

    /// <summary>
    /// A best-first walk from the entry point (and from rows of the query's partitions, when it names them) that
    /// goes through every node, matching or not, but keeps only matching linked ones in the result list of size
    /// <paramref name="listSize"/> (left in the scratch pool). It stops when the nearest node not yet expanded is
    /// farther than the farthest of a full result list; until the list is full it keeps walking, so a filter that few
    /// rows pass still gets every one of them (every node is reachable from the entry point). Tombstones route, as in
    /// the unfiltered search.
    /// </summary>
    public void FilteredGreedySearch(ReadOnlySpan<float> query, float queryInverseNorm, int listSize, Func<int, bool> passes, IReadOnlyList<int>? starts, SearchScratch scratch, Func<int, bool>? walks = null)
    {
        scratch.Begin(Nodes.SlotCount, listSize);
        var frontier = scratch.Frontier;
        frontier.Clear();
        if (Entry < 0)
        {
            return;
        }

        var first = new List<int>(1 + Seeds.Length + PartitionStarts);
        if (walks is null)
        {
            first.Add(Entry);
            first.AddRange(Seeds);
        }

        if (starts is { Count: > 0 })
        {
            AddLinkedStarts(starts, first);
        }

        foreach (var slot in first)
        {
            if (Nodes.State(slot) is NodeState.Linked or NodeState.Deleted && (walks is null || walks(slot)) && scratch.Visit(slot))
            {
                var distance = Distance(query, queryInverseNorm, slot);
                frontier.Enqueue(slot, distance);
                if (Nodes.State(slot) == NodeState.Linked && passes(slot))
                {
                    scratch.Offer(slot, distance);
                }
            }
        }

        while (frontier.TryDequeue(out var node, out var nodeDistance))
        {
            if (scratch.PoolCount == listSize && nodeDistance > scratch.Pool[listSize - 1].Distance)
            {
                break;
            }

            var unvisited = GatherUnvisited(node, scratch);
            for (var i = 0; i < unvisited; i++)
            {
                var neighbor = scratch.Batch[i];
                if (walks is not null && !walks(neighbor))
                {
                    continue;
                }

                var distance = Distance(query, queryInverseNorm, neighbor);
                if (scratch.PoolCount < listSize || distance < scratch.Pool[listSize - 1].Distance)
                {
                    frontier.Enqueue(neighbor, distance);
                    if (Nodes.State(neighbor) == NodeState.Linked && passes(neighbor))
                    {
                        scratch.Offer(neighbor, distance);
                    }
                }
            }
        }

        frontier.Clear();
    }

    /// <summary>
    /// Up to <see cref="PartitionStarts"/> linked rows spread over <paramref name="members"/> (a partition's rows, in no
    /// particular order): from each of as many evenly spaced places, the first linked row within a few steps.
    /// </summary>
    private void AddLinkedStarts(IReadOnlyList<int> members, List<int> starts)
    {
        const int Steps = 16;
        var count = Math.Min(Math.Clamp((int)Math.Sqrt(members.Count) / 2, PartitionStarts, 256), members.Count);
        for (var i = 0; i < count; i++)
        {
            var at = (int)((long)i * members.Count / count);
            for (var step = 0; step < Steps && at + step < members.Count; step++)
            {
                var slot = members[at + step];
                if (Nodes.State(slot) == NodeState.Linked)
                {
                    starts.Add(slot);
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Linking a row of a partitioned table: besides what the search of the whole graph found, the rows of its own
    /// partition nearest it, found by a search confined to the partition (Filtered-DiskANN's per-label search). The
    /// whole graph's list holds few of them when the partition is a small share of the rows, and without them a
    /// partition's rows would not be linked to each other well enough for a search that stays inside it.
    /// </summary>
    private void AddPartitionCandidates(int x, ReadOnlySpan<float> query, float queryInverseNorm, SearchScratch scratch)
    {
        if (Nodes.Filters is not { PartitionColumn: >= 0, Partitions: { } partitions } filters)
        {
            return;
        }

        var key = filters.PartitionOf(x);
        var members = partitions.Slots(key);
        if (members.Count < MinPartitionSearchRows)
        {
            return;
        }

        ConfinedGreedySearch(query, queryInverseNorm, Options.BuildListSize, key, scratch, recordExpanded: true);
        for (var i = 0; i < scratch.ExpandedCount; i++)
        {
            scratch.AddCandidate(scratch.ExpandedSlots[i], scratch.ExpandedDistances[i]);
        }
    }
}
