using DiskAnn.Distance;

namespace DiskAnn.Graph;

/// <summary>
/// Verifies a graph as loaded from storage: every row has exactly one node, no edge points to a missing
/// (free) or unlinked node, degrees are within max_degree, the entry point exists, and (what users depend on)
/// every linked row can be reached from the entry point and the seeds, so that some search returns it.
/// </summary>
internal static class IntegrityCheck
{
    private const int MaxProblems = 10;

    public static List<string> Run(NodeStore nodes, int entry, int[] seeds)
    {
        var problems = new List<string>();
        void Problem(string text)
        {
            if (problems.Count < MaxProblems)
            {
                problems.Add(text);
            }
        }

        var rowids = new Dictionary<long, int>();
        var vector = new float[nodes.Dimension];
        var linked = 0;
        var seen = new HashSet<int>();
        for (var slot = 0; slot < nodes.SlotCount; slot++)
        {
            var state = nodes.State(slot);
            if (state == NodeState.Free)
            {
                if (nodes.Degree(slot) != 0)
                {
                    Problem($"free slot {slot} has {nodes.Degree(slot)} edges");
                }

                continue;
            }

            if (state != NodeState.Deleted && !rowids.TryAdd(nodes.RowId(slot), slot))
            {
                Problem($"rowid {nodes.RowId(slot)} has two nodes (slots {rowids[nodes.RowId(slot)]} and {slot})");
            }

            if (state == NodeState.Linked)
            {
                linked++;
            }

            nodes.Decode(slot, vector);
            if (state != NodeState.Deleted && VectorMath.Problem(vector) is { } bad)
            {
                Problem($"the vector of rowid {nodes.RowId(slot)} (slot {slot}) {bad}");
            }

            var neighbors = nodes.Neighbors(slot);
            if (state == NodeState.Pending && neighbors.Length > 0)
            {
                Problem($"unlinked rowid {nodes.RowId(slot)} (slot {slot}) has edges");
            }

            seen.Clear();
            foreach (var n in neighbors)
            {
                if (n < 0 || n >= nodes.SlotCount)
                {
                    Problem($"slot {slot} has an edge to slot {n}, outside the index");
                }
                else if (n == slot)
                {
                    Problem($"slot {slot} has an edge to itself");
                }
                else if (nodes.State(n) is NodeState.Free or NodeState.Pending)
                {
                    Problem($"slot {slot} (rowid {nodes.RowId(slot)}) has an edge to slot {n}, which holds no linked node");
                }
                else if (!seen.Add(n))
                {
                    Problem($"slot {slot} has two edges to slot {n}");
                }
            }
        }

        if (linked > 0 && (entry < 0 || entry >= nodes.SlotCount || nodes.State(entry) is NodeState.Free or NodeState.Pending))
        {
            Problem($"the entry point (slot {entry}) is not a linked node");
        }

        foreach (var seed in seeds)
        {
            if (nodes.State(seed) is NodeState.Free or NodeState.Pending)
            {
                Problem($"search seed slot {seed} is not a linked node");
            }
        }

        if (problems.Count == 0)
        {
            CheckReachable(nodes, entry, seeds, Problem);
        }

        return problems;
    }

    /// <summary>Every linked row must be reachable from the roots: a breadth-first walk over the stored edges.</summary>
    private static void CheckReachable(NodeStore nodes, int entry, int[] seeds, Action<string> problem)
    {
        nodes.ComputeLevels(entry, seeds);
        var unreachable = new List<int>();
        for (var slot = 0; slot < nodes.SlotCount; slot++)
        {
            if (nodes.State(slot) == NodeState.Linked && nodes.Level(slot) == NodeStore.Unreached)
            {
                unreachable.Add(slot);
            }
        }

        if (unreachable.Count > 0)
        {
            var examples = string.Join(", ", unreachable.Take(5).Select(slot => $"rowid {nodes.RowId(slot)} (slot {slot})"));
            problem($"{unreachable.Count} row(s) cannot be reached from the entry point by any search, so no query returns them: {examples}; 'rebuild' links every row again");
        }
    }
}
