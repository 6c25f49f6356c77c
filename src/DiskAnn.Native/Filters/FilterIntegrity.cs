using DiskAnn.Graph;

namespace DiskAnn.Filters;

/// <summary>
/// The integrity check's part for filter columns: every live row has its stored values (a row without them would
/// match no filter), each partition lists exactly its live rows, and the image queries run on holds the stored values.
/// </summary>
internal static class FilterIntegrity
{
    public static void Check(NodeStore stored, HashSet<int> storedSlots, VamanaIndex? current, List<string> problems)
    {
        var filters = stored.Filters!;
        var listed = new Dictionary<int, long?>();
        var partitions = filters.Partitions;
        for (var slot = 0; slot < stored.SlotCount && problems.Count < 20; slot++)
        {
            var state = stored.State(slot);
            if (state is not (NodeState.Linked or NodeState.Pending))
            {
                continue;
            }

            var rowid = stored.RowId(slot);
            if (!storedSlots.Contains(slot))
            {
                problems.Add($"rowid {rowid} (slot {slot}) has no stored filter column values");
                continue;
            }

            if (partitions is not null && !partitions.Slots(filters.PartitionOf(slot)).Contains(slot))
            {
                problems.Add($"rowid {rowid} (slot {slot}) is missing from its partition");
            }

            if (current is not null && current.TryGetSlot(rowid, out var live) && current.Nodes.Filters is { } memory)
            {
                for (var c = 0; c < filters.Columns.Count; c++)
                {
                    if (!FilterValue.Same(filters.Get(slot, c), memory.Get(live, c)))
                    {
                        problems.Add($"rowid {rowid}: filter column {filters.Columns[c].Name} differs between the file and the connection's image");
                    }
                }
            }
        }
    }
}
