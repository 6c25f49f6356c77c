namespace DiskAnn.Filters;

/// <summary>
/// An index of one filter column, so that a selective filter finds its few rows without reading every row: the live
/// slots sorted by value (<see cref="SortedColumn"/>, built once and shared by every later version), plus the slots
/// whose value or liveness changed since it was built, which a query tests one by one. A version forked from another
/// copies the changed set (the size of the changes since the build, not the index); when it grows past an eighth of
/// the rows the next query builds the sorted part afresh. Readers on other threads see a consistent pair: the pair is
/// replaced whole, never changed in place, on an image others may be reading.
/// </summary>
internal sealed class ColumnIndex
{
    private State _state;

    public ColumnIndex() => _state = new State(null, []);

    private ColumnIndex(State state) => _state = state;

    /// <summary>The sorted part and the slots changed since; null sorted part: not built yet (every slot counts as changed).</summary>
    private sealed record State(SortedColumn? Sorted, HashSet<int> Changed);

    public ColumnIndex Fork()
    {
        var state = Volatile.Read(ref _state);
        return new ColumnIndex(new State(state.Sorted, [.. state.Changed]));
    }

    /// <summary>A slot's value or liveness changes (only on a version no other thread reads).</summary>
    public void MarkChanged(int slot)
    {
        if (_state.Sorted is not null)
        {
            _state.Changed.Add(slot);
        }
    }

    /// <summary>
    /// How many slots can hold a value with a key in one of the inclusive <paramref name="ranges"/> (an upper bound: the
    /// changed slots all count). <paramref name="build"/> builds the sorted part when there is none or it is stale.
    /// </summary>
    public int Count(IReadOnlyList<(long Lo, long Hi)> ranges, Func<SortedColumn> build, int liveCount)
    {
        var state = Current(build, liveCount);
        var count = state.Changed.Count;
        foreach (var (lo, hi) in ranges)
        {
            var (start, end) = state.Sorted!.Range(lo, hi);
            count += end - start;
        }

        return count;
    }

    /// <summary>
    /// The slots <see cref="Count"/> counted, into <paramref name="output"/> (a superset: the caller tests each): first
    /// those of the sorted part (returns how many: live, values unchanged since it was built), then the changed ones.
    /// </summary>
    public int Collect(IReadOnlyList<(long Lo, long Hi)> ranges, Func<SortedColumn> build, int liveCount, List<int> output)
    {
        var state = Current(build, liveCount);
        var first = output.Count;
        foreach (var (lo, hi) in ranges)
        {
            var (start, end) = state.Sorted!.Range(lo, hi);
            var slots = state.Sorted.Slots.AsSpan(start, end - start);
            if (state.Changed.Count == 0)
            {
                output.AddRange(slots);
                continue;
            }

            foreach (var slot in slots)
            {
                if (!state.Changed.Contains(slot))
                {
                    output.Add(slot);
                }
            }
        }

        var sorted = output.Count - first;
        output.AddRange(state.Changed);
        return sorted;
    }

    private State Current(Func<SortedColumn> build, int liveCount)
    {
        var state = Volatile.Read(ref _state);
        if (state.Sorted is null || state.Changed.Count > Math.Max(1024, liveCount / 8))
        {
            state = new State(build(), []);
            Volatile.Write(ref _state, state);
        }

        return state;
    }
}

/// <summary>The non-NULL values of one column over the live slots of one version, as sortable keys with their slots, in key order.</summary>
internal sealed class SortedColumn(long[] keys, int[] slots)
{
    public long[] Keys { get; } = keys;

    public int[] Slots { get; } = slots;

    /// <summary>The positions from the first key &gt;= lo to just after the last key &lt;= hi.</summary>
    public (int Start, int End) Range(long lo, long hi)
    {
        if (lo > hi)
        {
            return (0, 0);
        }

        var start = LowerBound(lo);
        var end = hi == long.MaxValue ? Keys.Length : LowerBound(hi + 1);
        return (start, Math.Max(start, end));
    }

    private int LowerBound(long key)
    {
        int lo = 0, hi = Keys.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Keys[mid] < key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
