using System.Collections.Concurrent;

namespace DiskAnn.Graph;

/// <summary>
/// The bookkeeping that lets the index prove, after every change, that each node is reachable from the search
/// roots (the entry point and the seeds), at a cost proportional to the change rather than to the graph.
///
/// Every node a search can walk through (linked rows and tombstones) has a level; the roots have level 0. A node
/// is supported by an edge that comes from a node of a lower level. When every non-root node has a support,
/// walking supports backwards lowers the level at each step and must end at a root: every node is reachable.
/// Levels start as breadth-first depths (<see cref="ComputeLevels"/>); after that a node that joins the graph, or
/// has to be re-attached, takes the next value of a clock above every level in use, so the in-edges it already
/// has all support it and no other node's support changes.
///
/// <see cref="SetNeighbors"/> keeps the support counts as edges come and go, and a count that falls to zero puts
/// the node in <see cref="Unsupported"/> for the index to repair (VamanaIndex.Reachability). A count may be lower
/// than the true number of supports (raising a node's level can turn in-edges into supports without counting
/// them), never higher: so a count above zero is always a proof, and a zero is at worst a needless repair.
/// </summary>
internal sealed partial class NodeStore
{
    /// <summary>The level of a node no search can be shown to reach, and of every slot outside the graph.</summary>
    public const int Unreached = int.MaxValue;

    private CowArray<int> _levels = new(Unreached);
    private CowArray<int> _support = new();

    /// <summary>False until <see cref="ComputeLevels"/> runs (after a load, or when the roots changed): support is then not counted.</summary>
    public bool LevelsValid { get; private set; }

    /// <summary>Nodes whose support count fell to zero (some may have gained one again since).</summary>
    public ConcurrentBag<int> Unsupported { get; } = [];

    public int Level(int slot) => _levels[slot];

    public int Support(int slot) => _support[slot];

    /// <summary>True for the slots a search walks through: linked rows and tombstones.</summary>
    public bool InGraph(int slot) => _states[slot] is NodeState.Linked or NodeState.Deleted;

    private void GrowReachability(int capacity)
    {
        _levels.EnsureLength(capacity);
        _support.EnsureLength(capacity);
    }

    /// <summary>Counts edges from <paramref name="source"/> to <paramref name="targets"/> in or out of their support (parallel phases: atomics).</summary>
    private void CountSupport(int source, ReadOnlySpan<int> targets, int delta)
    {
        var level = _levels[source];
        if (level == Unreached)
        {
            return;
        }

        foreach (var target in targets)
        {
            if (level < _levels[target] && Interlocked.Add(ref _support.Ref(target), delta) == 0 && delta < 0)
            {
                Unsupported.Add(target);
            }
        }
    }

    /// <summary>Stops counting until the next <see cref="ComputeLevels"/>: the roots changed, or slots are being moved or reloaded.</summary>
    public void InvalidateLevels()
    {
        LevelsValid = false;
        Unsupported.Clear();
    }

    /// <summary>
    /// Gives a node a new level, moving the supports its out-edges give. Only ever to a value above every level in use
    /// (or to <see cref="Unreached"/>), so that the in-edges counted as its supports stay supports.
    /// </summary>
    public void SetLevel(int slot, int level)
    {
        var old = _levels[slot];
        if (old == level)
        {
            return;
        }

        if (LevelsValid)
        {
            foreach (var target in Neighbors(slot))
            {
                var was = old < _levels[target];
                var now = level < _levels[target];
                if (was && !now && --_support.Ref(target) == 0)
                {
                    Unsupported.Add(target);
                }
                else if (!was && now)
                {
                    _support.Ref(target)++;
                }
            }
        }

        _levels.Set(slot, level);
    }

    /// <summary>Counts one more support of <paramref name="slot"/>: an existing edge from a lower level that was not counted.</summary>
    public void AddSupport(int slot) => _support.Ref(slot)++;

    /// <summary>A slot that leaves the graph (its out-edges already removed) or is handed to a new row.</summary>
    public void ResetReachability(int slot)
    {
        _levels.Set(slot, Unreached);
        _support.Set(slot, 0);
    }

    /// <summary>
    /// Breadth-first from the roots over linked and deleted nodes: levels are the depths and every support is counted
    /// exactly. Linked nodes not reached are put in <see cref="Unsupported"/>. Returns the highest level given.
    /// </summary>
    public int ComputeLevels(int entry, ReadOnlySpan<int> seeds)
    {
        _levels.Fill(Unreached);
        _support.Fill(0);
        Unsupported.Clear();
        var queue = new int[SlotCount];
        var tail = 0;
        void Root(int slot)
        {
            if (slot >= 0 && slot < SlotCount && InGraph(slot) && _levels[slot] != 0)
            {
                _levels.Set(slot, 0);
                queue[tail++] = slot;
            }
        }

        Root(entry);
        foreach (var seed in seeds)
        {
            Root(seed);
        }

        var highest = 0;
        for (var head = 0; head < tail; head++)
        {
            var node = queue[head];
            var level = _levels[node];
            foreach (var target in Neighbors(node))
            {
                if (_levels[target] == Unreached && InGraph(target))
                {
                    _levels.Set(target, level + 1);
                    highest = level + 1;
                    queue[tail++] = target;
                }

                // Breadth-first: the target's level is final here, so this count is exact.
                if (level < _levels[target])
                {
                    _support.Ref(target)++;
                }
            }
        }

        LevelsValid = true;
        for (var slot = 0; slot < SlotCount; slot++)
        {
            if (_states[slot] == NodeState.Linked && _levels[slot] == Unreached)
            {
                Unsupported.Add(slot);
            }
        }

        return highest;
    }
}
