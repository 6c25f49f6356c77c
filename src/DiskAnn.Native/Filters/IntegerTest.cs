namespace DiskAnn.Filters;

/// <summary>
/// The conditions of an INTEGER column when every operand is an integer (the common case: <c>bucket &lt; 100</c>,
/// <c>tenant_id IN (7, 8)</c>, <c>year != 2020</c>) compiled to an exact test on the stored word: an interval, the
/// values an = or IN allows, and those a != excludes. The search calls it on every candidate, so it reads one word
/// and compares integers instead of building a value and comparing it by SQLite's rules each time.
/// </summary>
internal sealed class IntegerTest
{
    private long _lo = long.MinValue;
    private long _hi = long.MaxValue;
    private HashSet<long>? _points;
    private HashSet<long>? _excluded;

    private IntegerTest()
    {
    }

    /// <summary>The compiled test, or null when some condition is not one it expresses exactly (the caller tests values).</summary>
    public static IntegerTest? TryCompile(IEnumerable<FilterCondition> conditions)
    {
        var test = new IntegerTest();
        foreach (var condition in conditions)
        {
            var v = condition.Operand.Integer;
            var integral = condition.Operand.Kind == ValueKind.Integer;
            switch (condition.Op)
            {
                case FilterOp.IsNotNull:
                    break;
                case FilterOp.Less when integral:
                    test._hi = v == long.MinValue ? long.MinValue : Math.Min(test._hi, v - 1);
                    test._lo = v == long.MinValue ? long.MaxValue : test._lo; // nothing is below the smallest integer
                    break;
                case FilterOp.AtMost when integral:
                    test._hi = Math.Min(test._hi, v);
                    break;
                case FilterOp.Greater when integral:
                    test._lo = v == long.MaxValue ? long.MaxValue : Math.Max(test._lo, v + 1);
                    test._hi = v == long.MaxValue ? long.MinValue : test._hi;
                    break;
                case FilterOp.AtLeast when integral:
                    test._lo = Math.Max(test._lo, v);
                    break;
                case FilterOp.Equal when integral:
                    test.Allow([v]);
                    break;
                case FilterOp.In when condition.List!.All(item => item.Kind is ValueKind.Integer or ValueKind.Null):
                    test.Allow(condition.List!.Where(item => item.Kind == ValueKind.Integer).Select(item => item.Integer));
                    break;
                case FilterOp.NotEqual when integral:
                    (test._excluded ??= []).Add(v);
                    break;
                default:
                    return null;
            }
        }

        return test;
    }

    private void Allow(IEnumerable<long> values)
    {
        var set = values.ToHashSet();
        if (_points is not null)
        {
            set.IntersectWith(_points);
        }

        _points = set;
    }

    /// <summary>True if a non-NULL stored integer passes every condition.</summary>
    public bool Matches(long value)
        => value >= _lo && value <= _hi && (_points is null || _points.Contains(value)) && (_excluded is null || !_excluded.Contains(value));

    /// <summary>
    /// The values that pass as inclusive ranges, sorted and apart, when they can be listed exactly (no != among the
    /// conditions); null otherwise.
    /// </summary>
    public List<(long Lo, long Hi)>? ExactRanges()
    {
        if (_excluded is not null)
        {
            return null;
        }

        if (_points is not null)
        {
            return [.. _points.Where(p => p >= _lo && p <= _hi).Order().Select(p => (p, p))];
        }

        return _lo > _hi ? [] : [(_lo, _hi)];
    }
}
