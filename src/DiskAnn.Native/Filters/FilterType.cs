namespace DiskAnn.Filters;

/// <summary>
/// The type a filter column declares (<c>lang TEXT</c>, <c>price REAL</c>, <c>tenant_id INTEGER</c>). It is the
/// column's affinity, applied as in a STRICT table: a value that converts without loss is stored converted ('12'
/// into an INTEGER column is 12, 3 into a REAL column 3.0, 9.5 into a TEXT column '9.5'); one that cannot ('abc'
/// into INTEGER, 2.5 into INTEGER, any BLOB) is refused with a message naming the column.
/// </summary>
internal enum FilterType
{
    Integer,
    Real,
    Text,
}

/// <summary>The SQL spellings of <see cref="FilterType"/>, defined once.</summary>
internal static class FilterTypes
{
    public static readonly string[] Names = ["INTEGER", "REAL", "TEXT"];

    public static string Name(FilterType type) => Names[(int)type];

    public static FilterType? Parse(string name) => name.ToUpperInvariant() switch
    {
        "INTEGER" => FilterType.Integer,
        "REAL" => FilterType.Real,
        "TEXT" => FilterType.Text,
        _ => null,
    };
}
