namespace DiskAnn.Graph;

/// <summary>
/// Keeping every row reachable from the search roots, whatever changed the graph (see NodeStore.Reachability
/// for the levels and supports that prove it). A row no search can reach is a row no query returns, however
/// large k and search_list_size are; pruning, delete repair and ties between identical vectors can each cut the
/// last path to a node, so every change ends by re-attaching the nodes that lost their last support.
/// </summary>
internal sealed partial class VamanaIndex
{
    /// <summary>The highest level in use; a node that joins the graph or is re-attached takes the next.</summary>
    private int _clock;

    /// <summary>Computes levels and supports if they are not current (after a load, or when the roots changed).</summary>
    private void EnsureLevels()
    {
        if (!Nodes.LevelsValid)
        {
            _clock = Nodes.ComputeLevels(Entry, Seeds);
        }
    }

    /// <summary>A node just linked: a level above every other, so every edge that reaches it now supports it.</summary>
    private void JoinGraph(int slot)
    {
        Nodes.SetLevel(slot, ++_clock);
        if (Nodes.Support(slot) == 0)
        {
            Nodes.Unsupported.Add(slot);
        }
    }

    /// <summary>
    /// Re-attaches every node that lost its last support, until each node is proven reachable again. A handful
    /// are re-attached one by one, lowest level first; when many are, one breadth-first pass settles which of them
    /// really are cut off first.
    /// </summary>
    public void RestoreReachability()
    {
        EnsureLevels();
        if (Nodes.Unsupported.Count > 32 + (LiveCount / 512))
        {
            _clock = Nodes.ComputeLevels(Entry, Seeds);
        }

        // Lowest level first: when a node is repaired, every node of a lower level is then supported or a root, so
        // by induction reachable, and may serve as its anchor without a search to prove it.
        var queue = new PriorityQueue<int, int>();
        while (true)
        {
            while (Nodes.Unsupported.TryTake(out var unsupported))
            {
                queue.Enqueue(unsupported, Nodes.Level(unsupported));
            }

            if (!queue.TryDequeue(out var slot, out var level))
            {
                return;
            }

            if (!Nodes.InGraph(slot) || Nodes.Level(slot) == 0 || Nodes.Support(slot) > 0)
            {
                continue;
            }

            if (Nodes.Level(slot) != level)
            {
                queue.Enqueue(slot, Nodes.Level(slot)); // its level moved since it was queued
                continue;
            }

            if (Nodes.State(slot) == NodeState.Deleted)
            {
                // A tombstone is not a row: rather than re-attach it, stop counting it as anyone's support, and
                // the nodes that relied on it are repaired in their turn.
                Nodes.SetLevel(slot, NodeStore.Unreached);
                continue;
            }

            var anchor = NearAnchor(slot);
            Attach(slot, anchor >= 0 ? anchor : SearchAnchor(slot));
        }
    }

    /// <summary>A node proven reachable: a root, or supported (see <see cref="RestoreReachability"/> for why that is a proof here).</summary>
    private bool Proven(int slot) => Nodes.Level(slot) == 0 || (Nodes.Support(slot) > 0 && Nodes.Level(slot) != NodeStore.Unreached);

    /// <summary>
    /// The nearest of the node's own out-neighbours that is proven reachable, of a lower level, linked and with room
    /// in its list: an edge back from a near neighbour, found without a search. -1 if there is none.
    /// </summary>
    private int NearAnchor(int slot)
    {
        var level = Nodes.Level(slot);
        var anchor = -1;
        var anchorDistance = float.PositiveInfinity;
        foreach (var u in Nodes.Neighbors(slot))
        {
            if (Nodes.State(u) != NodeState.Linked || Nodes.Level(u) >= level || !Proven(u))
            {
                continue;
            }

            if (Nodes.Neighbors(u).Contains(slot))
            {
                return u; // the edge exists and supports it: it was not counted
            }

            var distance = Distance(slot, u);
            if (Nodes.Degree(u) < Nodes.Capacity && distance < anchorDistance)
            {
                anchor = u;
                anchorDistance = distance;
            }
        }

        return anchor;
    }

    /// <summary>
    /// Searches for the node's own vector (every node the search expands is reachable) and returns the nearest
    /// expanded node with room in its list, preferring one of a lower level.
    /// </summary>
    private int SearchAnchor(int slot)
    {
        var scratch = RentScratch();
        try
        {
            var query = NodeAsQuery(slot, scratch, out var inverseNorm);
            GreedySearch(query, inverseNorm, Options.BuildListSize, scratch, recordExpanded: true);
            var level = Nodes.Level(slot);
            var anchor = -1;
            var fallback = -1;
            var anchorDistance = float.PositiveInfinity;
            var fallbackDistance = float.PositiveInfinity;
            for (var i = 0; i < scratch.ExpandedCount; i++)
            {
                var u = scratch.ExpandedSlots[i];
                if (u == slot || Nodes.State(u) != NodeState.Linked || Nodes.Level(u) == NodeStore.Unreached)
                {
                    continue;
                }

                if (Nodes.Level(u) < level && Nodes.Neighbors(u).Contains(slot))
                {
                    return u;
                }

                if (Nodes.Degree(u) >= Nodes.Capacity)
                {
                    continue;
                }

                var distance = scratch.ExpandedDistances[i];
                if (Nodes.Level(u) < level && distance < anchorDistance)
                {
                    anchor = u;
                    anchorDistance = distance;
                }

                if (distance < fallbackDistance)
                {
                    fallback = u;
                    fallbackDistance = distance;
                }
            }

            return anchor >= 0 ? anchor : fallback >= 0 ? fallback : AnyAnchor(slot);
        }
        finally
        {
            ReturnScratch(scratch);
        }
    }

    /// <summary>
    /// Gives the node a supporting in-edge from <paramref name="anchor"/>, a node proven reachable: appended to the
    /// anchor's list (appending removes no edge, so no other node loses its support), or counted if it is there
    /// already. An anchor of a level not below the node's moves the node above it.
    /// </summary>
    private void Attach(int slot, int anchor)
    {
        var wasUnreached = Nodes.Level(slot) == NodeStore.Unreached;
        if (Nodes.Level(anchor) >= Nodes.Level(slot) || wasUnreached)
        {
            Nodes.SetLevel(slot, ++_clock);
        }

        var current = Nodes.Neighbors(anchor);
        if (current.Contains(slot))
        {
            Nodes.AddSupport(slot); // an edge that supports it but was not counted
        }
        else
        {
            Span<int> list = stackalloc int[Nodes.Capacity];
            current.CopyTo(list);
            list[current.Length] = slot;
            Nodes.SetNeighbors(anchor, list[..(current.Length + 1)]);
            MarkDirty(anchor);
        }

        if (wasUnreached)
        {
            LevelFrom(slot);
        }
    }

    /// <summary>
    /// Any reachable node with room in its list (a tombstone if need be: consolidation repairs what it supports), for
    /// a node whose search expanded none (every list near it full). Lists are pruned to R of their room of 1.5 R, so
    /// one exists in any graph of more than a few nodes.
    /// </summary>
    private int AnyAnchor(int slot)
    {
        for (var u = 0; u < Nodes.SlotCount; u++)
        {
            if (u != slot && Nodes.InGraph(u) && Proven(u) && Nodes.Degree(u) < Nodes.Capacity)
            {
                return u;
            }
        }

        throw new InvalidOperationException($"diskann: no reachable node has room for an edge to slot {slot}; run 'rebuild'");
    }

    /// <summary>Gives levels to the unreached nodes that a node just re-attached leads to: they are reachable through it now.</summary>
    private void LevelFrom(int start)
    {
        var queue = new Queue<int>();
        queue.Enqueue(start);
        while (queue.TryDequeue(out var node))
        {
            foreach (var target in Nodes.Neighbors(node))
            {
                if (Nodes.InGraph(target) && Nodes.Level(target) == NodeStore.Unreached)
                {
                    Nodes.SetLevel(target, ++_clock);
                    queue.Enqueue(target);
                }
            }
        }
    }
}
