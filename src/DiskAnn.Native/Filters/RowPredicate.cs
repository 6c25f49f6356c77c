namespace DiskAnn.Filters;

/// <summary>
/// The filter column constraints of one query, ANDed, compiled against one store: each constrained column becomes one
/// test on a slot (a TEXT column's conditions become the set of dictionary codes that meet them, so the test is one
/// lookup). The search calls <see cref="Matches"/> on every candidate it could return.
/// </summary>
internal sealed class RowPredicate
{
    /// <summary>Above this many partitions a partition-key condition is tested row by row instead of read from the partition lists.</summary>
    private const int MaxListedPartitions = 64;

    private readonly FilterColumnStore _store;
    private readonly ColumnTest[] _tests;

    public RowPredicate(FilterColumnStore store, IReadOnlyList<(int Column, FilterCondition Condition)> conditions)
    {
        _store = store;
        _tests = [.. conditions.GroupBy(c => c.Column).Select(g => ColumnTest.Compile(store, g.Key, [.. g.Select(c => c.Condition)]))];
        if (store.PartitionColumn >= 0 && Array.Find(_tests, t => t.Column == store.PartitionColumn) is { } partition)
        {
            PartitionKeys = partition.Keys(store, MaxListedPartitions);
            _partition = partition;
        }
    }

    private readonly ColumnTest? _partition;

    /// <summary>Whether a slot is in one of the partitions the query is confined to (true when it names none).</summary>
    public bool InPartitions(int slot) => _partition is null || _partition.Matches(_store, slot);

    /// <summary>Whether the partition key is the only column the query constrains.</summary>
    public bool OnlyPartition => _partition is not null && _tests.Length == 1;

    /// <summary>
    /// The only partitions a matching row can be in, when the query constrains the partition key to a few values
    /// (=, IN, IS, IS NULL); null when it does not. (A null element is the NULL partition.)
    /// </summary>
    public IReadOnlyList<long?>? PartitionKeys { get; }

    private ColumnTest? _narrowest;
    private List<(long Lo, long Hi)>? _narrowestRanges;
    private bool _narrowestExact;

    /// <summary>
    /// An upper bound on the rows that pass, from the index of the column that narrows them most (<see cref="ColumnIndex"/>),
    /// or false when no column's conditions bound its values (only !=, IS NOT NULL, conditions NULL passes, ...).
    /// <paramref name="estimate"/>: when every column's conditions bound its values, about how many rows pass, from each
    /// column's count as if the columns were independent (as a database's planner estimates a conjunction); otherwise
    /// NaN (the caller samples). It reads no row, where a sample of a few hundred rows costs a cache miss each.
    /// </summary>
    public bool TryCount(int slotCount, Func<int, bool> live, int liveCount, out int count, out double estimate)
    {
        count = int.MaxValue;
        estimate = Math.Max(1, liveCount);
        foreach (var test in _tests)
        {
            var exact = test.ExactRanges(_store);
            if ((exact ?? test.Ranges(_store)) is not { } ranges)
            {
                estimate = double.NaN;
                continue;
            }

            var column = test.Column;
            var n = _store.Index(column).Count(ranges, () => _store.Sort(column, slotCount, live), liveCount);
            estimate *= Math.Min(1.0, n / (double)Math.Max(1, liveCount));
            if (n < count)
            {
                count = n;
                _narrowest = test;
                _narrowestRanges = ranges;
                _narrowestExact = exact is not null;
            }
        }

        return _narrowest is not null;
    }

    /// <summary>The live slots that pass, found through the narrowest column's index (after <see cref="TryCount"/>).</summary>
    public void Collect(int slotCount, Func<int, bool> live, int liveCount, List<int> output)
    {
        var column = _narrowest!.Column;
        var first = output.Count;
        var sorted = _store.Index(column).Collect(_narrowestRanges!, () => _store.Sort(column, slotCount, live), liveCount, output);

        // The sorted part's rows were live with these values when it was built and have not changed since (a change
        // puts a row among the changed ones): in exact ranges they pass the narrowest column's test, so only the other
        // columns' tests are left for them. Changed rows are tested in full.
        var kept = first;
        var trusted = _narrowestExact ? first + sorted : first;
        if (_narrowestExact && _tests.Length == 1)
        {
            kept = trusted;
        }
        else
        {
            for (var i = first; i < trusted; i++)
            {
                var slot = output[i];
                if (MatchesOthers(slot, _narrowest))
                {
                    output[kept++] = slot;
                }
            }
        }

        for (var i = trusted; i < output.Count; i++)
        {
            var slot = output[i];
            if (live(slot) && Matches(slot))
            {
                output[kept++] = slot;
            }
        }

        output.RemoveRange(kept, output.Count - kept);
    }

    private bool MatchesOthers(int slot, ColumnTest skipped)
    {
        foreach (var test in _tests)
        {
            if (test != skipped && !test.Matches(_store, slot))
            {
                return false;
            }
        }

        return true;
    }

    public bool Matches(int slot)
    {
        foreach (var test in _tests)
        {
            if (!test.Matches(_store, slot))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The conditions of one column, compiled.</summary>
    private abstract class ColumnTest(int column)
    {
        public int Column { get; } = column;

        public abstract bool Matches(FilterColumnStore store, int slot);

        /// <summary>The partitions (column values) that pass, if they are a short list; null otherwise.</summary>
        public abstract IReadOnlyList<long?>? Keys(FilterColumnStore store, int max);

        /// <summary>
        /// Inclusive key ranges (<see cref="FilterColumnStore.Key"/>) that hold every non-NULL value that can pass (a superset),
        /// or null when the conditions do not narrow the rows: NULL passes them, or nothing bounds the values.
        /// </summary>
        public abstract List<(long Lo, long Hi)>? Ranges(FilterColumnStore store);

        /// <summary>
        /// Key ranges that hold exactly the non-NULL values that pass, when the conditions can say so (an INTEGER
        /// column's integer conditions without !=, a TEXT column's codes); null otherwise. The rows of a column index's
        /// sorted part in these ranges pass this column's test without testing it again.
        /// </summary>
        public virtual List<(long Lo, long Hi)>? ExactRanges(FilterColumnStore store) => null;

        public static ColumnTest Compile(FilterColumnStore store, int column, FilterCondition[] conditions)
        {
            var nullPasses = conditions.All(c => c.TestNull());
            if (store.Columns[column].Type != FilterType.Text)
            {
                var integers = store.Columns[column].Type == FilterType.Integer ? IntegerTest.TryCompile(conditions) : null;
                return new ValueTest(column, conditions, nullPasses, integers);
            }

            // = , IS or IN name their texts: only those codes are tested (no pass over every distinct text of the column).
            var dictionary = store.Dictionary(column)!;
            var named = conditions.FirstOrDefault(c => c.Op is FilterOp.Equal or FilterOp.Is or FilterOp.In);
            IEnumerable<int> candidates = named is null
                ? Enumerable.Range(0, dictionary.Count)
                : (named.List ?? [named.Operand]).Where(v => v.Kind == ValueKind.Text)
                    .Select(v => dictionary.TryFind(v.Bytes!, out var code) ? code : -1).Where(code => code >= 0).Distinct();
            var allowed = new HashSet<int>();
            foreach (var code in candidates)
            {
                var text = FilterValue.FromText(dictionary.Text(code));
                if (conditions.All(c => c.Test(text)))
                {
                    allowed.Add(code);
                }
            }

            return new CodeTest(column, allowed, nullPasses);
        }
    }

    /// <summary>A TEXT column: the codes whose text meets every condition.</summary>
    private sealed class CodeTest(int column, HashSet<int> allowed, bool nullPasses) : ColumnTest(column)
    {
        public override bool Matches(FilterColumnStore store, int slot)
        {
            if (store.IsNull(slot, Column))
            {
                return nullPasses;
            }

            // A code added after the query compiled its set belongs to a row this image does not hold.
            return allowed.Contains((int)store.Word(slot, Column));
        }

        public override IReadOnlyList<long?>? Keys(FilterColumnStore store, int max)
        {
            var keys = new List<long?>();
            if (nullPasses)
            {
                keys.Add(null);
            }

            if (keys.Count + allowed.Count > max)
            {
                return null;
            }

            keys.AddRange(allowed.Order().Select(code => (long?)code));
            return keys;
        }

        public override List<(long Lo, long Hi)>? Ranges(FilterColumnStore store)
        {
            if (nullPasses)
            {
                return null;
            }

            if (allowed.Count > MaxLookedUpCodes)
            {
                return null;
            }

            var ranges = allowed.Order().Select(code => ((long)code, (long)code)).ToList();
            return ranges;
        }

        public override List<(long Lo, long Hi)>? ExactRanges(FilterColumnStore store) => Ranges(store);
    }

    /// <summary>Above this many allowed texts a TEXT condition is not looked up code by code.</summary>
    private const int MaxLookedUpCodes = 4096;

    /// <summary>An INTEGER or REAL column: every condition tested on the value.</summary>
    private sealed class ValueTest(int column, FilterCondition[] conditions, bool nullPasses, IntegerTest? integers) : ColumnTest(column)
    {
        public override List<(long Lo, long Hi)>? Ranges(FilterColumnStore store)
            => nullPasses ? null : ValueRanges.Of(store.Columns[Column].Type, conditions);

        public override List<(long Lo, long Hi)>? ExactRanges(FilterColumnStore store)
            => nullPasses ? null : integers?.ExactRanges();

        public override bool Matches(FilterColumnStore store, int slot)
        {
            if (store.IsNull(slot, Column))
            {
                return nullPasses;
            }

            if (integers is not null)
            {
                return integers.Matches(store.Word(slot, Column));
            }

            var value = store.Get(slot, Column);
            foreach (var condition in conditions)
            {
                if (!condition.Test(value))
                {
                    return false;
                }
            }

            return true;
        }

        public override IReadOnlyList<long?>? Keys(FilterColumnStore store, int max)
        {
            // Only an integer partition key gets here; its candidates are the values an =, IN or IS names.
            List<long?>? keys = null;
            foreach (var condition in conditions)
            {
                IEnumerable<FilterValue>? named = condition.Op switch
                {
                    FilterOp.Equal or FilterOp.Is => [condition.Operand],
                    FilterOp.In => condition.List,
                    FilterOp.IsNull => [FilterValue.Null],
                    _ => null,
                };
                if (named is null)
                {
                    continue;
                }

                var candidates = new List<long?>();
                foreach (var value in named)
                {
                    if (value.IsNull)
                    {
                        if (condition.Op is FilterOp.Is or FilterOp.IsNull)
                        {
                            candidates.Add(null);
                        }
                    }
                    else if (value.Kind == ValueKind.Integer)
                    {
                        candidates.Add(value.Integer);
                    }
                    else if (value.Kind == ValueKind.Real && value.Real == Math.Floor(value.Real) && value.Real >= -9223372036854775808.0 && value.Real < 9223372036854775808.0)
                    {
                        candidates.Add((long)value.Real);
                    }
                }

                // Every key listed must still pass every condition (tenant_id IN (1, 2) AND tenant_id != 2).
                var passing = candidates.Distinct().Where(key => key is null ? nullPasses : conditions.All(c => c.Test(FilterValue.FromInteger(key.Value)))).ToList();
                if (passing.Count <= max && (keys is null || passing.Count < keys.Count))
                {
                    keys = passing;
                }
            }

            return keys;
        }
    }
}
