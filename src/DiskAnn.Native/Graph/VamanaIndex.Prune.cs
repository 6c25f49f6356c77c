namespace DiskAnn.Graph;

/// <summary>RobustPrune, the edge selection of the DiskANN paper.</summary>
internal sealed partial class VamanaIndex
{
    /// <summary>Edges a node keeps to copies of its own vector beyond what RobustPrune would keep (a quarter of R, at least 2).</summary>
    private int MaxCopyEdges => Math.Max(2, Options.MaxDegree / 4);

    /// <summary>
    /// RobustPrune(p, V, alpha, R): walks the candidates (already in the scratch candidate buffer, with their
    /// distances to p) nearest first and keeps one unless an already kept neighbour s occludes it
    /// (alpha * d(s, c) &lt;= d(p, c)). Duplicates, p itself and tombstones are dropped. Returns the count
    /// written to <see cref="SearchScratch.Selected"/>.
    /// Copies of p's own vector are the exception: between identical vectors every distance is the same, so the
    /// first copy kept would occlude all the others and a group of identical rows would hang together by a single
    /// chain. Up to <see cref="MaxCopyEdges"/> copies are kept regardless, so that such a group is well connected.
    /// With a partition key, p's edges within its own partition are chosen first, as RobustPrune would choose them in
    /// an index of that partition alone (up to <see cref="PartitionDegree"/> of them: occluded only by kept rows of the
    /// partition, Filtered-DiskANN's FilteredRobustPrune for one label a row); the rest of R as usual. A search confined
    /// to a partition walks inside it on those edges.
    /// </summary>
    public int RobustPrune(int p, SearchScratch scratch)
    {
        var maxDegree = Options.MaxDegree;
        scratch.EnsureSelected(maxDegree);
        var count = scratch.CandidateCount;
        var distances = scratch.CandidateDistances.AsSpan(0, count);
        var slots = scratch.CandidateSlots.AsSpan(0, count);
        distances.Sort(slots);

        // Duplicates, p and tombstones out, in order.
        scratch.NewVisitedSet(Nodes.SlotCount);
        scratch.Visit(p);
        var kept = 0;
        for (var i = 0; i < count; i++)
        {
            if (scratch.Visit(slots[i]) && Nodes.State(slots[i]) == NodeState.Linked)
            {
                slots[kept] = slots[i];
                distances[kept++] = distances[i];
            }
        }

        slots = slots[..kept];
        distances = distances[..kept];
        var partitions = Nodes.Filters is { PartitionColumn: >= 0 } filters ? filters : null;
        if (partitions is null)
        {
            var copies = 0;
            return Select(p, slots, distances, default, default, maxDegree, 0, ref copies, scratch);
        }

        // 1: own partition, 0: another, 2: examined already.
        var partition = partitions.PartitionOf(p);
        var kinds = scratch.PruneKinds(kept);
        for (var i = 0; i < kept; i++)
        {
            kinds[i] = partitions.PartitionOf(slots[i]) == partition ? (byte)1 : (byte)0;
        }

        var inPartition = scratch.PruneKeptInPartition(maxDegree);
        var copiesKept = 0;
        var selected = Select(p, slots, distances, kinds, inPartition, Math.Min(maxDegree, PartitionDegree), 0, ref copiesKept, scratch, onlyKind: 1);
        return Select(p, slots, distances, kinds, inPartition, maxDegree, selected, ref copiesKept, scratch, onlyKind: -1);
    }

    /// <summary>
    /// Edges kept first within a row's own partition: three quarters of R. Measured with the `filtered` benchmark's
    /// probes (debian-minilm, a partition of a tenth of the rows): with half of R, a search confined to the partition
    /// needed a list half as long again to come near the recall of an index of the partition alone (0.956 against
    /// 0.966, at 1.53x its time); with three quarters, the same list as that index gives 0.959 at 1.40x, while the
    /// quarter left for other partitions keeps a search of the whole table within 0.006 of its recall.
    /// </summary>
    private int PartitionDegree => Math.Max(2, Options.MaxDegree * 3 / 4);

    /// <summary>
    /// One pass of RobustPrune over the candidates from <paramref name="selected"/> kept ones to <paramref name="limit"/>:
    /// with partition kinds, <paramref name="onlyKind"/> 1 walks own-partition candidates only (and marks them examined),
    /// -1 every candidate not examined, an own-partition one occluded only by kept rows of the partition.
    /// </summary>
    private int Select(int p, Span<int> slots, Span<float> distances, Span<byte> kinds, Span<bool> keptInPartition, int limit, int selected, ref int copies, SearchScratch scratch, int onlyKind = -1)
    {
        var alpha = Options.Alpha;
        var partitioned = !kinds.IsEmpty;
        for (var i = 0; i < slots.Length && selected < limit; i++)
        {
            if (partitioned && (kinds[i] == 2 || (onlyKind == 1 && kinds[i] != 1)))
            {
                continue;
            }

            var c = slots[i];
            var own = partitioned && kinds[i] == 1;
            if (onlyKind == 1)
            {
                kinds[i] = 2;
            }

            var dpc = distances[i];
            var occluded = false;
            for (var j = 0; j < selected; j++)
            {
                if (own && !keptInPartition[j])
                {
                    continue;
                }

                var dsc = Distance(scratch.Selected[j], c);
                // Distances of the dot metric can be negative, where scaling by alpha would invert the test.
                if (dpc > 0 ? alpha * dsc <= dpc : dsc <= dpc)
                {
                    occluded = true;
                    break;
                }
            }

            if (occluded && copies < MaxCopyEdges && Nodes.SameVector(p, c))
            {
                occluded = false;
                copies++;
            }

            if (!occluded)
            {
                if (partitioned)
                {
                    keptInPartition[selected] = own;
                }

                scratch.SelectedDistances[selected] = dpc;
                scratch.Selected[selected++] = c;
            }
        }

        return selected;
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
}
