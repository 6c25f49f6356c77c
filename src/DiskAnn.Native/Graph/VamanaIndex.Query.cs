using DiskAnn.Distance;

namespace DiskAnn.Graph;

/// <summary>
/// A KNN query on the graph, as the virtual table asks it: the beam search, widened past tombstones until k live
/// rows are found; with an allowed set of rowids (a filter), a search that walks through every node but keeps only
/// allowed ones, or an exact scan of the allowed rows when they are few; and the final ranking, re-ranked with the
/// float32 vectors where navigation used codes.
/// </summary>
internal sealed partial class VamanaIndex
{
    /// <summary>
    /// The k nearest rows, nearest first, into the result arrays; returns how many. With an allowed set
    /// (rowid IN ...) it returns the k nearest allowed rows: an exact scan of them when they are few, a graph
    /// search that walks through every node but keeps only allowed ones when they are many.
    /// </summary>
    public int Search(float[] query, int k, int listSize, List<long>? allowed, long[] rowids, float[] distances)
    {
        var inverse = Options.Metric == DiskAnnMetric.Cosine ? VectorMath.InverseNorm(query) : 0f;
        var list = Math.Max(listSize, k);
        var live = LiveCount;
        var scratch = RentScratch();
        try
        {
            if (allowed is null)
            {
                while (true)
                {
                    GreedySearch(query, inverse, list, scratch, recordExpanded: false);
                    var found = Collect(query, inverse, scratch, k, null, rowids, distances);
                    if (found >= Math.Min(k, live) || list >= live + DeletedCount)
                    {
                        return found;
                    }

                    list *= 2; // tombstones took places in the list
                }
            }

            return FilteredSearch(query, inverse, k, list, allowed, scratch, rowids, distances);
        }
        finally
        {
            ReturnScratch(scratch);
        }
    }

    private int FilteredSearch(float[] query, float inverse, int k, int list, List<long> allowed, SearchScratch scratch, long[] rowids, float[] distances)
    {
        var nodes = Nodes;
        var mask = scratch.AllowedMask(nodes.SlotCount);

        var slots = new List<int>(Math.Min(allowed.Count, LiveCount));
        foreach (var rowid in allowed)
        {
            if (TryGetSlot(rowid, out var slot) && mask[slot] == 0)
            {
                slots.Add(slot);
                mask[slot] = 1;
            }
        }

        try
        {
            var matching = slots.Count;
            if (matching == 0)
            {
                return 0;
            }

            // Widen the list by the inverse selectivity so that about k allowed nodes land in it, and
            // compare the cost with an exact scan of the allowed rows (about list * R distances vs. one each).
            var selectivity = (double)matching / LiveCount;
            var widened = (int)Math.Min(DiskAnnLimits.MaxK, Math.Ceiling(list / selectivity));
            if (matching > (long)widened * Options.MaxDegree)
            {
                GreedySearch(query, inverse, widened, scratch, recordExpanded: false);
                var found = Collect(query, inverse, scratch, k, mask, rowids, distances);
                if (found >= Math.Min(k, matching))
                {
                    return found;
                }
            }

            ExactSearch(query, inverse, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(slots), k, scratch);
            return Collect(query, inverse, scratch, k, null, rowids, distances);
        }
        finally
        {
            foreach (var slot in slots)
            {
                mask[slot] = 0;
            }
        }
    }

    private int Collect(float[] query, float inverse, SearchScratch scratch, int k, byte[]? allowed, long[] rowids, float[] distances)
    {
        var nodes = Nodes;
        if (nodes.NavigatesWithCodes)
        {
            return Rerank(query, inverse, scratch, k, allowed, rowids, distances);
        }

        var found = 0;
        for (var i = 0; i < scratch.PoolCount && found < k; i++)
        {
            var slot = scratch.Pool[i].Slot;
            if (nodes.State(slot) != NodeState.Linked || (allowed is not null && allowed[slot] == 0))
            {
                continue;
            }

            rowids[found] = nodes.RowId(slot);
            distances[found++] = ReportedDistance(query, inverse, slot, scratch.Pool[i].Distance);
        }

        return found;
    }

    /// <summary>
    /// The k nearest of the whole list by float32 distance: the list was ordered by distances to int8 codes,
    /// so its order near the k-th place is approximate; the exact distances of all L entries decide.
    /// </summary>
    private int Rerank(float[] query, float inverse, SearchScratch scratch, int k, byte[]? allowed, long[] rowids, float[] distances)
    {
        var nodes = Nodes;
        scratch.ClearCandidates();
        for (var i = 0; i < scratch.PoolCount; i++)
        {
            var slot = scratch.Pool[i].Slot;
            if (nodes.State(slot) == NodeState.Linked && (allowed is null || allowed[slot] != 0))
            {
                scratch.AddCandidate(slot, nodes.ExactDistance(query, inverse, slot));
            }
        }

        var count = scratch.CandidateCount;
        Array.Sort(scratch.CandidateDistances, scratch.CandidateSlots, 0, count);
        var found = Math.Min(k, count);
        for (var i = 0; i < found; i++)
        {
            var slot = scratch.CandidateSlots[i];
            rowids[i] = nodes.RowId(slot);
            distances[i] = ReportedDistance(query, inverse, slot, scratch.CandidateDistances[i]);
        }

        return found;
    }
}
