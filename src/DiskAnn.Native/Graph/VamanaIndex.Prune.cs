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
    /// </summary>
    public int RobustPrune(int p, SearchScratch scratch)
    {
        var maxDegree = Options.MaxDegree;
        var alpha = Options.Alpha;
        scratch.EnsureSelected(maxDegree);
        var count = scratch.CandidateCount;
        var distances = scratch.CandidateDistances.AsSpan(0, count);
        var slots = scratch.CandidateSlots.AsSpan(0, count);
        distances.Sort(slots);

        scratch.NewVisitedSet(Nodes.SlotCount);
        scratch.Visit(p);
        var selected = 0;
        var copies = 0;
        for (var i = 0; i < count && selected < maxDegree; i++)
        {
            var c = slots[i];
            if (!scratch.Visit(c) || Nodes.State(c) != NodeState.Linked)
            {
                continue;
            }

            var dpc = distances[i];
            var occluded = false;
            for (var j = 0; j < selected; j++)
            {
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
