namespace DiskAnn.Graph;

/// <summary>
/// Edges that stay useful inside a partition (the table's PARTITION KEY): Filtered-DiskANN's FilteredVamana for one
/// label per row. A node of a large partition also takes as candidates the nearest rows of its own partition (a search
/// confined to it), and RobustPrune lets a neighbour occlude a candidate of the node's own partition only if that
/// neighbour is of the partition too. So the rows of a partition form a navigable graph among themselves, and a query
/// confined to the partition walks mostly inside it, at about the cost of an index holding that partition alone,
/// while the edges across partitions keep every row reachable for queries that are not confined.
/// </summary>
internal sealed partial class VamanaIndex
{
    /// <summary>
    /// Below this many rows a partition is not searched through the graph (a query confined to it scans its rows), so
    /// its nodes link as any other.
    /// </summary>
    private const int PartitionLinkThreshold = 1024;

    /// <summary>Adds the nearest linked rows of <paramref name="x"/>'s partition to the candidates, when the partition is large.</summary>
    private void AddPartitionCandidates(int x, ReadOnlySpan<float> query, float inverseNorm, SearchScratch scratch)
    {
        if (Nodes.Filters is not { Partitions: { } partitions } filters)
        {
            return;
        }

        var key = filters.PartitionOf(x);
        var members = partitions.Slots(key);
        if (members.Count < PartitionLinkThreshold)
        {
            return;
        }

        FilteredGreedySearch(query, inverseNorm, Options.BuildListSize, slot => filters.PartitionOf(slot) == key, members, scratch);
        for (var i = 0; i < scratch.PoolCount; i++)
        {
            if (scratch.Pool[i].Slot != x)
            {
                scratch.AddCandidate(scratch.Pool[i].Slot, scratch.Pool[i].Distance);
            }
        }
    }

    /// <summary>False when kept neighbour <paramref name="s"/> may not occlude candidate <paramref name="c"/> of node <paramref name="p"/>: c shares p's partition and s does not.</summary>
    private bool MayOcclude(int p, int s, int c)
    {
        if (Nodes.Filters is not { PartitionColumn: >= 0 } filters)
        {
            return true;
        }

        var own = filters.PartitionOf(p);
        return filters.PartitionOf(c) != own || filters.PartitionOf(s) == own;
    }
}
