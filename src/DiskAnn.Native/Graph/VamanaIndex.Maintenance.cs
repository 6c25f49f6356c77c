using System.Collections.Concurrent;

namespace DiskAnn.Graph;

/// <summary>Delete consolidation (FreshDiskANN), compaction for VACUUM, and rebuild.</summary>
internal sealed partial class VamanaIndex
{
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

            Nodes.CopyVector(slot, target);
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
}
