using System.Collections.Concurrent;

namespace DiskAnn.Graph;

/// <summary>Delete consolidation (FreshDiskANN), compaction for VACUUM, and rebuild.</summary>
internal sealed partial class VamanaIndex
{
    /// <summary>Tombstones are consolidated once they are this fraction of the nodes (1/50 = 2%), to amortise the repair.</summary>
    private const int ConsolidateEvery = 50;

    /// <summary>How many tombstones one node's repair may walk through to find live replacements for its edges.</summary>
    private const int MaxTombstoneWalk = 64;

    /// <summary>
    /// True when the rows deleted and added since the graph was last consolidated outnumber the linked rows that
    /// stay: a reload or a rewrite of every vector in one transaction, a DELETE of most rows. Repairing around that
    /// many tombstones, or linking that many rows against them, would keep few good edges (FreshDiskANN's repair
    /// assumes a few percent between consolidations); linking the remaining rows afresh costs about what the
    /// transaction's own inserts cost and gives the quality of a fresh build.
    /// </summary>
    private bool MostlyReplaced => DeletedCount > 0 && (long)DeletedCount + PendingCount > LiveCount - PendingCount;

    /// <summary>
    /// Brings the graph to its committed shape (xSync): every row linked and reachable, tombstones repaired away
    /// when due. Consolidation runs first so that new rows link to live nodes rather than through tombstones.
    /// </summary>
    public void PrepareCommit()
    {
        if (MostlyReplaced)
        {
            Rebuild();
        }
        else
        {
            if (DeletedCount > 0 && (long)DeletedCount * ConsolidateEvery >= LiveCount + DeletedCount)
            {
                ConsolidateDeletes();
            }

            LinkPending();
        }

        PrepareFilteredScans();
    }

    /// <summary>
    /// FreshDiskANN's consolidation: every linked node with an edge to a tombstone replaces it by the live nodes the
    /// tombstone leads to, pruned back to R; then the tombstones become free slots. Where a tombstone's own
    /// neighbours are tombstones too (a mass delete), the walk goes on through them (up to
    /// <see cref="MaxTombstoneWalk"/>) rather than stopping at one hop and leaving the node with few edges. Ends
    /// with every row reachable again (<see cref="RestoreReachability"/>).
    /// </summary>
    public void ConsolidateDeletes()
    {
        if (DeletedCount == 0)
        {
            return;
        }

        if (MostlyReplaced)
        {
            Rebuild();
            return;
        }

        // Every list near a tombstone changes and the roots may too: levels are recomputed once at the end.
        Nodes.InvalidateLevels();
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
                GatherReplacements(p, scratch);
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
                Nodes.ResetReachability(slot);
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

        RestoreReachability();
    }

    /// <summary>
    /// The candidates for a node's new list: its live neighbours, and the live nodes reached from its deleted
    /// neighbours by walking through tombstones only, nearest tombstones first.
    /// </summary>
    private void GatherReplacements(int p, SearchScratch scratch)
    {
        scratch.ClearCandidates();
        scratch.NewVisitedSet(Nodes.SlotCount);
        scratch.Visit(p);
        var walk = new Queue<int>();
        foreach (var n in Nodes.Neighbors(p))
        {
            if (!scratch.Visit(n))
            {
                continue;
            }

            if (Nodes.State(n) == NodeState.Linked)
            {
                scratch.AddCandidate(n, Distance(p, n));
            }
            else if (Nodes.State(n) == NodeState.Deleted)
            {
                walk.Enqueue(n);
            }
        }

        var walked = 0;
        while (walked < MaxTombstoneWalk && walk.TryDequeue(out var tombstone))
        {
            walked++;
            foreach (var m in Nodes.Neighbors(tombstone))
            {
                if (!scratch.Visit(m))
                {
                    continue;
                }

                if (Nodes.State(m) == NodeState.Linked)
                {
                    scratch.AddCandidate(m, Distance(p, m));
                }
                else if (Nodes.State(m) == NodeState.Deleted)
                {
                    walk.Enqueue(m);
                }
            }
        }
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

        // Rows the layout just moved (GroupPendingByPartition) are written by the caller with the compaction's, while
        // it keeps the cache from dropping them.
        var moved = new List<int>(MovedSlots);
        MovedSlots.Clear();
        Nodes.InvalidateLevels(); // slots move: levels are recomputed at the end
        var chunkSlots = Nodes.ChunkSlots;
        var keepChunks = (LiveCount + chunkSlots - 1) / chunkSlots;
        var limit = keepChunks * chunkSlots;
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

            Nodes.CopyVector(slot, target);
            Nodes.Filters?.Move(slot, target);
            Nodes.SetHeader(target, Nodes.RowId(slot), Nodes.State(slot));
            Nodes.SetNeighbors(target, Nodes.Neighbors(slot));
            _slotOfRowid.Set(Nodes.RowId(slot), target);
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
        moved.RemoveAll(slot => slot >= limit); // a row the layout moved there went on lower down, and is listed there
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

        RestoreReachability();
        return moved;
    }

    /// <summary>Drops every edge and links all rows again from scratch (the 'rebuild' command).</summary>
    public void Rebuild()
    {
        Nodes.InvalidateLevels();
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
}
