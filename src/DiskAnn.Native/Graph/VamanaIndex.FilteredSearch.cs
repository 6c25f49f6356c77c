namespace DiskAnn.Graph;

/// <summary>The graph search of a filtered query (Filtered-DiskANN's idea on an unlabelled graph).</summary>
internal sealed partial class VamanaIndex
{
    /// <summary>
    /// A best-first walk from the entry point (and from rows of the query's partitions, when it names them) that
    /// goes through every node, matching or not, but keeps only matching linked ones in the result list of size
    /// <paramref name="listSize"/> (left in the scratch pool). It stops when the nearest node not yet expanded is
    /// farther than the farthest of a full result list; until the list is full it keeps walking, so a filter that few
    /// rows pass still gets every one of them (every node is reachable from the entry point). Tombstones route, as in
    /// the unfiltered search. With <paramref name="walks"/> (the rows of the query's partitions) the walk goes only
    /// through rows it accepts and starts from <paramref name="starts"/> alone, which must reach every such row
    /// (<see cref="ConfinedStarts"/>).
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

        var first = new List<int>(1 + Seeds.Length);
        if (walks is null)
        {
            first.Add(Entry);
            first.AddRange(Seeds);
        }

        if (starts is { Count: > 0 })
        {
            if (walks is null)
            {
                PartitionWalk.Starts(Nodes, starts, first);
            }
            else
            {
                first.AddRange(starts); // a confined walk starts where every row it may walk to is reached from
            }
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

        Walk(query, queryInverseNorm, listSize, passes, scratch, walks, failingPenalty: 0f);
    }

    /// <summary>
    /// Goes on from a finished growable <see cref="GreedySearch"/> as the filtered walk (of the whole graph) would: every
    /// node the beam measured and did not expand goes into the frontier, the passing ones into a result list of size
    /// <paramref name="listSize"/>, and the walk continues from there; so a query that turns out to be far from the
    /// rows that pass does not walk again the way the beam came. Nodes that fail wait in the frontier as if
    /// <paramref name="failingPenalty"/> farther (see <see cref="WalkKey"/>).
    /// </summary>
    public void ResumeAsWalk(ReadOnlySpan<float> query, float queryInverseNorm, int listSize, Func<int, bool> passes, float failingPenalty, SearchScratch scratch)
    {
        var frontier = scratch.Frontier;
        frontier.Clear();
        foreach (var measured in scratch.TakeMeasured(listSize))
        {
            var pass = Nodes.State(measured.Slot) == NodeState.Linked && passes(measured.Slot);
            if (!measured.Expanded)
            {
                frontier.Enqueue(measured.Slot, pass ? measured.Distance : WalkKey(measured.Distance, failingPenalty));
            }

            if (pass)
            {
                scratch.Offer(measured.Slot, measured.Distance);
            }
        }

        Walk(query, queryInverseNorm, listSize, passes, scratch, null, failingPenalty);
    }

    /// <summary>
    /// A failing node's place in the walk's frontier: its distance made <paramref name="penalty"/> (a fraction) larger,
    /// larger still for a negative one (dot). The walk then expands the passing nodes before failing ones as near, and
    /// stops short of the failing nodes in the outer shell of the ball that holds the list's passing rows: those lead
    /// mostly outward, and the passing rows in the shell are mostly reached through passing nodes or nearer failing ones.
    /// </summary>
    private static float WalkKey(float distance, float penalty) => distance + (penalty * Math.Abs(distance));

    /// <summary>
    /// The filtered walk from its frontier: see <see cref="FilteredGreedySearch"/>. Failing nodes wait in the frontier as
    /// if <paramref name="failingPenalty"/> farther (<see cref="WalkKey"/>; 0: at their distance).
    /// </summary>
    private void Walk(ReadOnlySpan<float> query, float queryInverseNorm, int listSize, Func<int, bool> passes, SearchScratch scratch, Func<int, bool>? walks, float failingPenalty)
    {
        var frontier = scratch.Frontier;
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
                    if (Nodes.State(neighbor) == NodeState.Linked && passes(neighbor))
                    {
                        frontier.Enqueue(neighbor, distance);
                        scratch.Offer(neighbor, distance);
                    }
                    else
                    {
                        frontier.Enqueue(neighbor, WalkKey(distance, failingPenalty));
                    }
                }
            }
        }

        frontier.Clear();
    }
}
