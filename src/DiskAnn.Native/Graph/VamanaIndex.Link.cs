namespace DiskAnn.Graph;

/// <summary>Linking pending nodes into the graph in parallel batches, and back-edges.</summary>
internal sealed partial class VamanaIndex
{
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

        if (MostlyReplaced)
        {
            // Linking the new rows against a graph of tombstones would keep none of its edges: build afresh.
            Rebuild();
            return;
        }

        GroupPendingByPartition();
        EnsureLevels();
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
            Nodes.InvalidateLevels(); // a new root
            EnsureLevels();
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
                    var query = NodeAsQuery(x, scratch, out var queryInverseNorm);
                    GreedySearch(query, queryInverseNorm, Options.BuildListSize, scratch, recordExpanded: true);
                    scratch.ClearCandidates();
                    for (var j = 0; j < scratch.ExpandedCount; j++)
                    {
                        scratch.AddCandidate(scratch.ExpandedSlots[j], scratch.ExpandedDistances[j]);
                    }

                    AddPartitionCandidates(x, query, queryInverseNorm, scratch);

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
                JoinGraph(x);
            }

            start += batch;
            graphSize += batch;
            MaybeRecomputeEntry(linkedCount: graphSize);
            RestoreReachability();
        }

        MaybeRecomputeEntry();
        RestoreReachability();
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
}
