namespace DiskAnn.Graph;

/// <summary>
/// Where a search confined to one partition starts (<see cref="VamanaIndex.ConfinedGreedySearch"/>): rows spread over
/// the partition, which the linking of a row uses as they are and a query completes with every row they do not reach
/// (VamanaIndex.ConfinedStarts); and the smallest partition either searches inside.
/// </summary>
internal static class PartitionWalk
{
    /// <summary>
    /// Partitions of fewer rows are never searched inside (queries scan them, linking a row does not search its
    /// partition apart), whatever the list size.
    /// </summary>
    public const int MinRows = 64;

    private const int MinStarts = 8;
    private const int MaxStarts = 256;

    /// <summary>How far past an evenly spaced place in the member list a start is looked for.</summary>
    private const int Steps = 16;

    /// <summary>
    /// Linked rows spread over <paramref name="members"/> (a partition's rows, in no particular order), about
    /// sqrt(n)/2 of them as the whole graph has seeds: from each of as many evenly spaced places, the first linked row
    /// within a few steps.
    /// </summary>
    public static void Starts(NodeStore nodes, IReadOnlyList<int> members, List<int> starts)
    {
        var count = Math.Min(Math.Clamp((int)Math.Sqrt(members.Count) / 2, MinStarts, MaxStarts), members.Count);
        for (var i = 0; i < count; i++)
        {
            var at = (int)((long)i * members.Count / count);
            for (var step = 0; step < Steps && at + step < members.Count; step++)
            {
                var slot = members[at + step];
                if (nodes.State(slot) == NodeState.Linked)
                {
                    starts.Add(slot);
                    break;
                }
            }
        }
    }
}
