using DiskAnn.Distance;
using DiskAnn.Filters;

namespace DiskAnn.Graph;

/// <summary>
/// A KNN query on the graph, as the virtual table asks it: the beam search, widened past tombstones until k live
/// rows are found; with a filter (rowid IN ..., filter column constraints), the strategy its selectivity calls for:
/// an exact scan of the matching rows when they are few, else a graph search that walks through every node but
/// returns only matching ones (Filtered-DiskANN); and the final ranking, re-ranked with the float32 vectors where
/// navigation used codes. Whenever k rows match, k rows come back.
/// </summary>
internal sealed partial class VamanaIndex
{
    /// <summary>How many slots a filter's selectivity is estimated from when nothing else says how many rows match.</summary>
    private const int SelectivitySample = 256;

    /// <summary>
    /// A scan of more rows than this many times the list preselects by sketch (<see cref="BinarySketches"/>) the rows it
    /// measures with the codes; at least <see cref="SketchMinimum"/> of them.
    /// </summary>
    private const int SketchOversample = 10;

    private const int SketchMinimum = 200;

    private const int SketchMinimumDimension = 128;

    /// <summary>
    /// How much cheaper a row of a sketch-preselected scan is than a row measured with the codes, in the choice between
    /// a scan and the graph search (tuned with the `filtered` benchmark).
    /// </summary>
    private const double SketchScanGain = 10;

    /// <summary>From this share of passing rows on, a filtered query is a widened beam search rather than the filtered walk.</summary>
    private const double WideningSelectivity = 0.15;

    /// <summary>
    /// The widened beam's list is list / selectivity^this: the passing rows near the query are a larger share of the
    /// list's than of the table's (a filter of many rows is seldom against the query's neighbourhood), and at 0.5 the
    /// recall stays at or above the unfiltered search's at every list size (tuned on the `filtered` benchmark's table,
    /// the 27%, 40%, 41% (correlated) and 50% filters at search_list_size 10, 20 and 40, counting distances: 0.6 measured
    /// 4-10% more for 0.001-0.005 more recall; 0.4 about as much less again, but the correlated filter's recall at 40 came
    /// within 0.002 of the unfiltered search's; 0.75 cost 3-15% more than 0.6; 1 20-25% more than 0.75). While the walk
    /// that takes over kept the whole list (<see cref="ResumedWalkList"/>), 0.5 cost more than 0.6: a shorter first beam
    /// sent more queries on to it.
    /// </summary>
    private const double WideningExponent = 0.5;

    /// <summary>Below this share of passing rows in a widened beam's list, a second widened beam is not tried (the filtered walk answers).</summary>
    private const double LocalWideningSelectivity = 0.05;

    /// <summary>
    /// The list of the filtered walk that takes over from the widened beams (<see cref="ResumeAsWalk"/>): k, or a quarter
    /// of the query's list when that is more. The walk expands every node nearer than the last passing row of its list,
    /// so a list of k already walks the whole ball around the query that holds k passing rows; each further place
    /// widens that ball, and the nodes in it are mostly rows that fail (the query is far from the rows that pass).
    /// Tuned with the `filtered` benchmark's filter correlated with the vectors (41% of the rows; widened by ^0.6 then):
    /// against a walk of the whole list, a third fewer distances in the walk at search_list_size 20 and 29% less time
    /// for the filter's queries at 40, the filtered recall still above the unfiltered search's (0.966 against 0.950 at
    /// 20, 0.983 against 0.976 at 40).
    /// </summary>
    private static int ResumedWalkList(int k, int list) => Math.Max(k, list / 4);

    /// <summary>
    /// How much farther the walk that takes over from the widened beams (<see cref="ResumeAsWalk"/>) takes a failing node
    /// to be, for the order and the end of its walk (<see cref="WalkKey"/>). Tuned with the `filtered` benchmark's filter
    /// correlated with the vectors (41% of the rows), interleaved in a probe at search_list_size 20: the walk's distances
    /// 290 -> 172 a query, the filter's queries 2.08x -> 1.89x the unfiltered search's time (the benchmark: 2.04x and 2.07x
    /// -> 1.91x and 1.85x); recall 0.961 -> 0.956 at 20 (unfiltered 0.950), 0.949 -> 0.936 at 10 (0.908), 0.980 -> 0.977
    /// at 40 (0.976). 0.2 took the recall at 40 below the unfiltered search's (0.974).
    /// </summary>
    internal const float ResumedWalkFailingPenalty = 0.1f;

    private static int Widened(int list, double selectivity) => (int)Math.Min(DiskAnnLimits.MaxK, Math.Ceiling(list / Math.Pow(selectivity, WideningExponent)));

    /// <summary>
    /// The k nearest rows, nearest first, into the result arrays; returns how many. With an allowed set of rowids
    /// (rowid IN ...) and/or a predicate on filter columns, the k nearest rows that pass both.
    /// </summary>
    public int Search(float[] query, int k, int listSize, List<long>? allowed, RowPredicate? predicate, long[] rowids, float[] distances)
    {
        var inverse = Options.Metric == DiskAnnMetric.Cosine ? VectorMath.InverseNorm(query) : 0f;
        var list = Math.Max(listSize, k);
        var live = LiveCount;
        var scratch = RentScratch();
        try
        {
            if (allowed is null && predicate is null)
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

            return FilteredSearch(query, inverse, k, list, allowed, predicate, scratch, rowids, distances);
        }
        finally
        {
            ReturnScratch(scratch);
        }
    }

    /// <summary>
    /// The strategy a filtered query's rows call for, cheapest first: the search inside one partition
    /// (<see cref="TryConfinedSearch"/>); a scan when few rows match (<see cref="ChooseScan"/>); the beam search widened
    /// by the selectivity when many do (<see cref="TryWidenedBeams"/>); the walk inside the query's partitions
    /// (<see cref="TryConfinedWalk"/>); and the filtered walk of the whole graph, which answers whatever the filter.
    /// A strategy that may come back short hands over to the next; the last one cannot.
    /// </summary>
    private int FilteredSearch(float[] query, float inverse, int k, int list, List<long>? allowed, RowPredicate? predicate, SearchScratch scratch, long[] rowids, float[] distances)
    {
        var rows = allowed is not null ? FilterRows.Named : predicate!.PartitionKeys is not null ? FilterRows.Partitions : FilterRows.Unnamed;
        if (rows == FilterRows.Partitions && TryConfinedSearch(query, inverse, k, list, predicate!, scratch, rowids, distances, out var confined))
        {
            return confined;
        }

        var mask = scratch.AllowedMask(Nodes.SlotCount);
        var matching = scratch.Matching;
        matching.Clear();
        try
        {
            if (rows == FilterRows.Named)
            {
                GatherAllowed(allowed!, predicate, mask, matching);
            }
            else if (rows == FilterRows.Partitions)
            {
                GatherPartitions(predicate!, matching);
            }

            if (rows != FilterRows.Unnamed && matching.Count == 0)
            {
                return 0;
            }

            if (ChooseScan(rows, predicate, list, matching, out var matches))
            {
                ScanSearch(query, inverse, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(matching), list, scratch);
                return Collect(query, inverse, scratch, k, null, rowids, distances);
            }

            Func<int, bool> passes = rows == FilterRows.Named
                ? slot => mask[slot] != 0
                : predicate!.Matches;
            var wanted = Math.Min(k, rows == FilterRows.Unnamed ? LiveCount : matching.Count);
            if (TryWidenedBeams(query, inverse, k, list, matches / Math.Max(1.0, LiveCount), wanted, passes, resumeAsWalk: rows != FilterRows.Partitions, scratch, rowids, distances, out var found))
            {
                return found;
            }

            if (rows == FilterRows.Partitions && TryConfinedWalk(query, inverse, k, list, wanted, passes, predicate!, scratch, rowids, distances, out found))
            {
                return found;
            }

            FilteredGreedySearch(query, inverse, list, passes, rows == FilterRows.Partitions ? matching : null, scratch);
            return Collect(query, inverse, scratch, k, null, rowids, distances);
        }
        finally
        {
            if (rows == FilterRows.Named)
            {
                foreach (var slot in matching)
                {
                    mask[slot] = 0;
                }
            }
        }
    }

    /// <summary>What names a filtered query's rows before it searches.</summary>
    private enum FilterRows
    {
        /// <summary>A rowid list (rowid IN ...): its rows that pass the predicate are gathered and marked in the mask.</summary>
        Named,

        /// <summary>The partitions the query is confined to: their rows that pass are gathered.</summary>
        Partitions,

        /// <summary>Nothing: a predicate over the whole table, whose rows are gathered only when a scan is chosen.</summary>
        Unnamed,
    }

    /// <summary>The rows of the rowid list that exist and pass the predicate, once each, marked in <paramref name="mask"/>.</summary>
    private void GatherAllowed(List<long> allowed, RowPredicate? predicate, byte[] mask, List<int> matching)
    {
        foreach (var rowid in allowed)
        {
            if (TryGetSlot(rowid, out var slot) && mask[slot] == 0 && (predicate is null || predicate.Matches(slot)))
            {
                matching.Add(slot);
                mask[slot] = 1;
            }
        }
    }

    /// <summary>The rows of the query's partitions that pass the predicate.</summary>
    private void GatherPartitions(RowPredicate predicate, List<int> matching)
    {
        foreach (var key in predicate.PartitionKeys!)
        {
            foreach (var slot in Nodes.Filters!.Partitions!.Slots(key))
            {
                if (predicate.Matches(slot))
                {
                    matching.Add(slot);
                }
            }
        }
    }

    /// <summary>
    /// Whether the matching rows are few enough to scan; then they are in <paramref name="matching"/>. A scan costs one
    /// distance a matching row; the graph search about list / selectivity expansions of R neighbours each, many of them
    /// seen already. The scan is chosen while matching^2 &lt;= list * live * R / 4 (the 4 tuned with the `filtered`
    /// benchmark; sketches make a scanned row about <see cref="SketchScanGain"/> times cheaper); it always returns every
    /// match. Rows not named beforehand are bounded and estimated by the column indexes (value ranges), else estimated
    /// from a sample, and gathered only when that says a scan may do. <paramref name="matches"/>: how many rows match, counted where they
    /// were gathered, else estimated.
    /// </summary>
    private bool ChooseScan(FilterRows rows, RowPredicate? predicate, int list, List<int> matching, out double matches)
    {
        var scanLimit = Math.Sqrt((double)list * LiveCount * Options.MaxDegree / 4 * (SketchesUsable ? SketchScanGain : 1));
        if (rows != FilterRows.Unnamed)
        {
            matches = matching.Count;
            return matching.Count <= scanLimit;
        }

        var nodes = Nodes;
        Func<int, bool> live = slot => nodes.State(slot) is NodeState.Linked or NodeState.Pending;
        var counted = predicate!.TryCount(nodes.SlotCount, live, LiveCount, out var bound, out var estimate);
        double Sampled() => double.IsNaN(estimate) ? estimate = EstimateMatching(predicate) : estimate; // sampled once, when some decision needs it
        if (counted && (bound <= scanLimit || Sampled() <= scanLimit))
        {
            predicate.Collect(nodes.SlotCount, live, LiveCount, matching);
            matches = matching.Count;
            return matching.Count <= scanLimit;
        }

        if (bound == int.MaxValue && Sampled() <= scanLimit)
        {
            GatherMatching(predicate, matching);
            matches = matching.Count;
            return true;
        }

        matches = Sampled();
        return false;
    }

    /// <summary>
    /// Many rows pass (<see cref="WideningSelectivity"/> of them or more): the ordinary beam search, its list widened by
    /// (1 / selectivity)^<see cref="WideningExponent"/>, then the passing rows of the list; cheaper than the filtered walk,
    /// whose frontier holds every node nearer than the list's last. When fewer pass near the query than over the table
    /// (a filter correlated with the vectors, a query away from the rows that pass), the share of the list that passed
    /// says how many: the beam goes on with its list widened by that share (<see cref="WidenBeam"/>: what it expanded is
    /// not expanded again), which costs less than the filtered walk while the share is not tiny; when it is, the filtered
    /// walk goes on from what the beam measured (<see cref="ResumeAsWalk"/>) and answers, unless the query names
    /// partitions (<paramref name="resumeAsWalk"/> false: the walk inside them is cheaper). False when not taken or short.
    /// </summary>
    private bool TryWidenedBeams(float[] query, float inverse, int k, int list, double selectivity, int wanted, Func<int, bool> passes, bool resumeAsWalk, SearchScratch scratch, long[] rowids, float[] distances, out int found)
    {
        found = 0;
        if (selectivity < WideningSelectivity)
        {
            return false;
        }

        GreedySearch(query, inverse, Widened(list, selectivity), scratch, recordExpanded: false, growable: true);
        var passing = CountPassing(scratch, passes);
        while (passing < wanted)
        {
            var local = Math.Max(1, passing) / (double)Math.Max(1, scratch.PoolCount);
            if (local < LocalWideningSelectivity || Widened(list, local) <= scratch.PoolCapacity)
            {
                if (!resumeAsWalk)
                {
                    return false;
                }

                // Far from the rows that pass: the filtered walk answers, from where the beam got to.
                ResumeAsWalk(query, inverse, ResumedWalkList(k, list), passes, ResumedWalkFailingPenalty, scratch);
                found = Collect(query, inverse, scratch, k, null, rowids, distances);
                return true;
            }

            WidenBeam(query, inverse, Widened(list, local), scratch);
            passing = CountPassing(scratch, passes);
        }

        found = Collect(query, inverse, scratch, k, passes, rowids, distances);
        return true;
    }

    /// <summary>How many live rows of the list pass.</summary>
    private int CountPassing(SearchScratch scratch, Func<int, bool> passes)
    {
        var count = 0;
        for (var i = 0; i < scratch.PoolCount; i++)
        {
            var slot = scratch.Pool[i].Slot;
            if (Nodes.State(slot) == NodeState.Linked && passes(slot))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// A query of partitions with other conditions, every partition searchable inside (<see cref="SearchableInside(IReadOnlyList{long?}, int)"/>):
    /// the filtered walk stays inside the partitions, from their confined starts (see <see cref="TryConfinedSearch"/>).
    /// False when not taken or short of <paramref name="wanted"/> (the walk of the whole graph answers).
    /// </summary>
    private bool TryConfinedWalk(float[] query, float inverse, int k, int list, int wanted, Func<int, bool> passes, RowPredicate predicate, SearchScratch scratch, long[] rowids, float[] distances, out int found)
    {
        found = 0;
        if (!SearchableInside(predicate.PartitionKeys!, list))
        {
            return false;
        }

        var starts = new List<int>();
        foreach (var key in predicate.PartitionKeys!)
        {
            starts.AddRange(ConfinedStarts(key));
        }

        FilteredGreedySearch(query, inverse, list, passes, starts, scratch, predicate.InPartitions);
        found = Collect(query, inverse, scratch, k, null, rowids, distances);
        return found >= wanted;
    }

    /// <summary>
    /// A query confined to one large partition and nothing else: every live row of the partition matches, so its rows
    /// are not gathered; the search stays inside the partition (<see cref="ConfinedGreedySearch"/>) and costs about
    /// what a search of an index of that partition alone does, with the same list (a row keeps most of its edges within
    /// its partition, see <see cref="PartitionDegree"/>). A partition small enough to scan (the scan-or-search
    /// rule of <see cref="ChooseScan"/> on an index of the partition's size, at the query's list size or the
    /// table's, whichever is larger) is scanned instead. False when not taken, or when the search found fewer than k
    /// rows of a partition that has k (the caller's search of the whole graph answers).
    /// </summary>
    private bool TryConfinedSearch(float[] query, float inverse, int k, int list, RowPredicate predicate, SearchScratch scratch, long[] rowids, float[] distances, out int found)
    {
        found = 0;
        if (predicate.PartitionKeys is not [var key] || !predicate.OnlyPartition)
        {
            return false;
        }

        if (!SearchableInside(key, list))
        {
            return false;
        }

        var members = Nodes.Filters!.Partitions!.Slots(key).Count;
        ConfinedGreedySearch(query, inverse, list, key, ConfinedStarts(key), scratch, recordExpanded: false);
        found = Collect(query, inverse, scratch, k, null, rowids, distances);
        return found >= Math.Min(k, members);
    }

    /// <summary>Whether every one of the partitions is searched inside at this list size (see <see cref="SearchableInside(long?, int)"/>).</summary>
    private bool SearchableInside(IReadOnlyList<long?> partitions, int list)
    {
        foreach (var key in partitions)
        {
            if (!SearchableInside(key, list))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether a partition is too large to scan at this list size or the table's, whichever is larger: linking searched
    /// inside partitions too large to scan at the table's, and only their rows are linked well enough among themselves
    /// for a search that stays inside.
    /// </summary>
    private bool SearchableInside(long? partition, int list)
    {
        var members = Nodes.Filters!.Partitions!.Slots(partition).Count;
        return members >= PartitionWalk.MinRows && members > PartitionScanRows(Math.Max(list, Options.SearchListSize));
    }

    /// <summary>
    /// Up to how many rows a partition is scanned rather than searched inside by a query of list size
    /// <paramref name="list"/>: the scan-or-search rule of <see cref="ChooseScan"/> on an index of the partition's size.
    /// </summary>
    private double PartitionScanRows(int list) => (double)list * Options.MaxDegree / 4 * (SketchesUsable ? SketchScanGain : 1);

    /// <summary>
    /// The scan of a filter's matching rows: each ranked by the distance the graph search uses (to the int8 codes of a
    /// float32 table, a quarter of the work), the <paramref name="list"/> nearest kept for <see cref="Collect"/> to
    /// re-rank with the float32 vectors, as the graph search's list is. With k at least the matching rows, every one.
    /// </summary>
    private void ScanSearch(ReadOnlySpan<float> query, float inverse, ReadOnlySpan<int> slots, int list, SearchScratch scratch)
    {
        scratch.Begin(Nodes.SlotCount, list);
        var keep = Math.Max(list * SketchOversample, SketchMinimum);
        if (slots.Length > 2 * keep && Sketches() is { } sketches)
        {
            slots = Preselect(query, inverse, slots, keep, sketches, scratch);
        }

        const int Ahead = 8; // the rows are scattered over memory: fetch a few ahead of the one measured
        for (var i = 0; i < Math.Min(Ahead, slots.Length); i++)
        {
            Nodes.Prefetch(slots[i]);
        }

        for (var i = 0; i < slots.Length; i++)
        {
            if (i + Ahead < slots.Length)
            {
                Nodes.Prefetch(slots[i + Ahead]);
            }

            scratch.Offer(slots[i], Distance(query, inverse, slots[i]));
        }
    }

    /// <summary>
    /// The store's sketches when they rank well enough to preselect with: a sketch has a bit a dimension, and below
    /// <see cref="SketchMinimumDimension"/> bits the Hamming distance is too coarse to tell the near rows apart.
    /// </summary>
    private BinarySketches? Sketches() => SketchesUsable ? Nodes.Sketches(LiveCount) : null;

    /// <summary>Whether a scan would preselect by sketch (without building them: the first scan that does, builds them).</summary>
    private bool SketchesUsable => Options.Dimension >= SketchMinimumDimension && Nodes.CanSketch;

    /// <summary>
    /// The <paramref name="keep"/> rows of <paramref name="slots"/> whose sketches are nearest the query's (ties at the
    /// boundary in scan order), by a histogram of the Hamming distances: two passes, no sort.
    /// </summary>
    private ReadOnlySpan<int> Preselect(ReadOnlySpan<float> query, float inverse, ReadOnlySpan<int> slots, int keep, BinarySketches sketches, SearchScratch scratch)
    {
        var (sketchBuffer, bits, histogram, kept) = scratch.ScanBuffers(sketches.WordsPerSlot, slots.Length, Nodes.Dimension + 1, keep);
        var sketch = sketchBuffer.AsSpan(0, sketches.WordsPerSlot);
        sketches.SketchQuery(query, Options.Metric == DiskAnnMetric.Cosine ? inverse : 1f, sketch);
        const int Ahead = 16; // the sketches are read in the order of the rows, scattered: fetch ahead (8-32 measure the same)
        for (var i = 0; i < slots.Length; i++)
        {
            if (i + Ahead < slots.Length)
            {
                sketches.Prefetch(slots[i + Ahead]);
            }

            var b = sketches.Hamming(sketch, slots[i]);
            bits[i] = b;
            histogram[b]++;
        }

        // The boundary: fewer than keep rows lie below it, and enough of those on it make up the rest.
        var below = 0;
        var boundary = 0;
        while (below + histogram[boundary] < keep)
        {
            below += histogram[boundary++];
        }

        var onBoundary = keep - below;
        var count = 0;
        for (var i = 0; i < slots.Length && count < keep; i++)
        {
            if (bits[i] < boundary || (bits[i] == boundary && onBoundary-- > 0))
            {
                kept[count++] = slots[i];
            }
        }

        return kept.AsSpan(0, count);
    }

    /// <summary>About how many live rows pass the predicate, from evenly spaced slots.</summary>
    private double EstimateMatching(RowPredicate predicate)
    {
        var nodes = Nodes;
        var slots = nodes.SlotCount;
        int sampled = 0, passed = 0;
        var step = Math.Max(1, slots / SelectivitySample);
        for (var slot = 0; slot < slots; slot += step)
        {
            if (nodes.State(slot) == NodeState.Linked)
            {
                sampled++;
                if (predicate.Matches(slot))
                {
                    passed++;
                }
            }
        }

        return sampled == 0 ? 0 : (double)passed / sampled * LiveCount;
    }

    private void GatherMatching(RowPredicate predicate, List<int> matching)
    {
        var nodes = Nodes;
        for (var slot = 0; slot < nodes.SlotCount; slot++)
        {
            if (nodes.State(slot) == NodeState.Linked && predicate.Matches(slot))
            {
                matching.Add(slot);
            }
        }
    }

    private int Collect(float[] query, float inverse, SearchScratch scratch, int k, Func<int, bool>? passes, long[] rowids, float[] distances)
    {
        var nodes = Nodes;
        if (nodes.NavigatesWithCodes)
        {
            return Rerank(query, inverse, scratch, k, passes, rowids, distances);
        }

        var found = 0;
        for (var i = 0; i < scratch.PoolCount && found < k; i++)
        {
            var slot = scratch.Pool[i].Slot;
            if (nodes.State(slot) != NodeState.Linked || (passes is not null && !passes(slot)))
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
    private int Rerank(float[] query, float inverse, SearchScratch scratch, int k, Func<int, bool>? passes, long[] rowids, float[] distances)
    {
        var nodes = Nodes;
        scratch.ClearCandidates();
        for (var i = 0; i < scratch.PoolCount; i++)
        {
            var slot = scratch.Pool[i].Slot;
            if (nodes.State(slot) == NodeState.Linked && (passes is null || passes(slot)))
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
