namespace DiskAnn.Filters;

/// <summary>
/// The key ranges an INTEGER or REAL column's non-NULL values must fall in to pass a set of conditions: a superset
/// (the caller still tests each row), so a bound only has to be safe. = and IN give points, &lt; &lt;= &gt; &gt;= give
/// an interval (with SQLite's rules: numbers sort before text, so <c>x &lt; 'abc'</c> bounds nothing and
/// <c>x &gt; 'abc'</c> passes no number), !=, IS NOT and IS NOT NULL bound nothing.
/// </summary>
internal static class ValueRanges
{
    public static List<(long Lo, long Hi)>? Of(FilterType type, IEnumerable<FilterCondition> conditions)
    {
        var lo = double.NegativeInfinity;
        var hi = double.PositiveInfinity;
        List<double>? points = null;
        var narrowed = false;
        foreach (var condition in conditions)
        {
            var operand = condition.Operand;
            switch (condition.Op)
            {
                case FilterOp.Equal or FilterOp.Is:
                    points = Intersect(points, operand.IsNumber ? [Number(operand)] : []);
                    narrowed = true;
                    break;
                case FilterOp.In:
                    points = Intersect(points, [.. condition.List!.Where(v => v.IsNumber).Select(Number)]);
                    narrowed = true;
                    break;
                case FilterOp.IsNull:
                    points = [];
                    narrowed = true;
                    break;
                case FilterOp.Less or FilterOp.AtMost or FilterOp.Greater or FilterOp.AtLeast:
                    narrowed = true;
                    if (operand.IsNull || (!operand.IsNumber && condition.Op is FilterOp.Greater or FilterOp.AtLeast))
                    {
                        points = [];
                    }
                    else if (operand.IsNumber)
                    {
                        // Inclusive either way: a superset is enough, and the bound is widened past rounding below.
                        var bound = Number(operand);
                        if (condition.Op is FilterOp.Less or FilterOp.AtMost)
                        {
                            hi = Math.Min(hi, bound);
                        }
                        else
                        {
                            lo = Math.Max(lo, bound);
                        }
                    }

                    break;
            }
        }

        if (!narrowed)
        {
            return null;
        }

        if (points is not null)
        {
            return Merge([.. points.Where(p => p >= lo && p <= hi).Select(p => Range(type, p, p))]);
        }

        return lo > hi ? [] : [Range(type, lo, hi)];
    }

    /// <summary>The ranges sorted and overlapping ones joined, so that no slot is collected twice.</summary>
    private static List<(long Lo, long Hi)> Merge(List<(long Lo, long Hi)> ranges)
    {
        ranges.Sort();
        var merged = new List<(long Lo, long Hi)>(ranges.Count);
        foreach (var range in ranges)
        {
            if (merged.Count > 0 && range.Lo <= merged[^1].Hi)
            {
                merged[^1] = (merged[^1].Lo, Math.Max(merged[^1].Hi, range.Hi));
            }
            else
            {
                merged.Add(range);
            }
        }

        return merged;
    }

    private static double Number(FilterValue value) => value.Kind == ValueKind.Integer ? value.Integer : value.Real;

    private static List<double> Intersect(List<double>? points, List<double> more) => points is null ? more : [.. points.Intersect(more)];

    /// <summary>
    /// The keys of values from <paramref name="lo"/> to <paramref name="hi"/>, widened by a step either way: an integer
    /// operand's conversion to double may round, and a REAL key of -0.0 sorts just below 0.0.
    /// </summary>
    private static (long, long) Range(FilterType type, double lo, double hi)
    {
        if (type == FilterType.Real)
        {
            return (FilterColumnStore.RealKey(Math.BitDecrement(lo)), FilterColumnStore.RealKey(Math.BitIncrement(hi)));
        }

        return (Floor(lo), Ceiling(hi));
    }

    // An integer beyond 2^53 lost up to half a double step on the way: the slack covers it (relative 1e-15, at least 1).
    private static long Floor(double value) => Clamp(Math.Floor(value) - 1 - (Math.Abs(value) * 1e-15));

    private static long Ceiling(double value) => Clamp(Math.Ceiling(value) + 1 + (Math.Abs(value) * 1e-15));

    private static long Clamp(double value)
        => value <= -9223372036854775808.0 ? long.MinValue : value >= 9223372036854775807.0 ? long.MaxValue : (long)value;
}
