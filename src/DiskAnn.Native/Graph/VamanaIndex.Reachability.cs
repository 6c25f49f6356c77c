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
    /// are re-attached one by one (a search for the node, then an edge from the nearest reachable node with room
    /// in its list); when many are, one breadth-first pass settles which of them really are cut off first.
    /// </summary>
    public void RestoreReachability()
    {
        EnsureLevels();
        if (Nodes.Unsupported.Count > 32 + (LiveCount / 512))
        {
            _clock = Nodes.ComputeLevels(Entry, Seeds);
        }

        while (Nodes.Unsupported.TryTake(out var slot))
        {
            if (!Nodes.InGraph(slot) || Nodes.Level(slot) == 0 || Nodes.Support(slot) > 0)
            {
                continue;
            }

            if (Nodes.State(slot) == NodeState.Deleted)
            {
                // A tombstone is not a row: rather than re-attach it, stop counting it as anyone's support, and
                // the nodes that relied on it are repaired in their turn.
                Nodes.SetLevel(slot, NodeStore.Unreached);
                continue;
            }

            Attach(slot);
        }
    }

    /// <summary>
    /// Gives a linked node a supporting in-edge: searches for its own vector (every node the search expands is
    /// reachable) and appends it to the list of the nearest expanded node with a lower level and room to spare;
    /// failing that, to the nearest with room, and the node moves above it. Appending removes no edge, so no
    /// other node loses its support.
    /// </summary>
    private void Attach(int slot)
    {
        var scratch = RentScratch();
        int anchor;
        try
        {
            var query = NodeAsQuery(slot, scratch, out var inverseNorm);
            GreedySearch(query, inverseNorm, Options.BuildListSize, scratch, recordExpanded: true);
            var level = Nodes.Level(slot);
            anchor = -1;
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

                if (Nodes.Neighbors(u).Contains(slot))
                {
                    if (Nodes.Level(u) < level)
                    {
                        Nodes.AddSupport(slot); // an edge that supports it but was not counted
                        return;
                    }

                    continue;
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

            if (anchor < 0)
            {
                anchor = fallback >= 0 ? fallback : AnyAnchor(slot);
            }
        }
        finally
        {
            ReturnScratch(scratch);
        }

        Span<int> list = stackalloc int[Nodes.Capacity];
        var current = Nodes.Neighbors(anchor);
        current.CopyTo(list);
        list[current.Length] = slot;
        var wasUnreached = Nodes.Level(slot) == NodeStore.Unreached;
        if (Nodes.Level(anchor) >= Nodes.Level(slot) || wasUnreached)
        {
            Nodes.SetLevel(slot, ++_clock);
        }

        Nodes.SetNeighbors(anchor, list[..(current.Length + 1)]);
        MarkDirty(anchor);
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
            if (u != slot && Nodes.InGraph(u) && Nodes.Level(u) != NodeStore.Unreached && Nodes.Degree(u) < Nodes.Capacity)
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
