namespace DiskAnn.Filters;

/// <summary>
/// The operators a filter column constraint may use in a diskann query (BETWEEN arrives as &gt;= and &lt;=). Each has a
/// character for the idxStr that xBestIndex hands to xFilter.
/// </summary>
internal enum FilterOp
{
    Equal = '=',
    NotEqual = '!',
    Less = '<',
    AtMost = 'l',
    Greater = '>',
    AtLeast = 'g',
    In = 'i',
    Is = 's',
    IsNot = 'n',
    IsNull = 'N',
    IsNotNull = 'Q',
}

/// <summary>One constraint on a filter column: an operator and its operand (or operands, for IN), already given the column's affinity.</summary>
internal sealed class FilterCondition(FilterOp op, FilterValue operand, FilterValue[]? list = null)
{
    public FilterOp Op { get; } = op;

    public FilterValue Operand { get; } = operand;

    public FilterValue[]? List { get; } = list;

    /// <summary>True if a non-NULL value meets the condition (SQLite's semantics: a comparison with NULL is not true).</summary>
    public bool Test(in FilterValue value)
    {
        switch (Op)
        {
            case FilterOp.IsNull:
                return false;
            case FilterOp.IsNotNull:
                return true;
            case FilterOp.In:
                foreach (var item in List!)
                {
                    if (!item.IsNull && FilterValue.Compare(value, item) == 0)
                    {
                        return true;
                    }
                }

                return false;
            case FilterOp.IsNot:
                return Operand.IsNull || FilterValue.Compare(value, Operand) != 0;
        }

        if (Operand.IsNull)
        {
            return false;
        }

        var order = FilterValue.Compare(value, Operand);
        return Op switch
        {
            FilterOp.Equal or FilterOp.Is => order == 0,
            FilterOp.NotEqual => order != 0,
            FilterOp.Less => order < 0,
            FilterOp.AtMost => order <= 0,
            FilterOp.Greater => order > 0,
            _ => order >= 0,
        };
    }

    /// <summary>True if a NULL value meets the condition: IS NULL, IS NULL written as IS ?, and IS NOT with a value.</summary>
    public bool TestNull() => Op switch
    {
        FilterOp.IsNull => true,
        FilterOp.Is => Operand.IsNull,
        FilterOp.IsNot => !Operand.IsNull,
        _ => false,
    };
}
