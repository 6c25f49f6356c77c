namespace DiskAnn.Filters;

/// <summary>The storage classes of SQLite values, in the order SQLite sorts them (numbers compare with each other by value).</summary>
internal enum ValueKind : byte
{
    Null,
    Integer,
    Real,
    Text,
    Blob,
}

/// <summary>
/// A value of a filter column or of a constraint's operand, compared as SQLite compares values: NULL first, then
/// numbers by value (an INTEGER and a REAL exactly, as sqlite3IntFloatCompare does), then TEXT and BLOB byte by byte
/// (the BINARY collation). Text is kept as UTF-8, the bytes SQLite compares.
/// </summary>
internal readonly struct FilterValue
{
    public readonly ValueKind Kind;
    public readonly long Integer;
    public readonly double Real;
    public readonly byte[]? Bytes;

    private FilterValue(ValueKind kind, long integer, double real, byte[]? bytes)
    {
        Kind = kind;
        Integer = integer;
        Real = real;
        Bytes = bytes;
    }

    public static readonly FilterValue Null;

    public static FilterValue FromInteger(long value) => new(ValueKind.Integer, value, 0, null);

    public static FilterValue FromReal(double value) => new(ValueKind.Real, 0, value, null);

    public static FilterValue FromText(byte[] utf8) => new(ValueKind.Text, 0, 0, utf8);

    public static FilterValue FromBlob(byte[] bytes) => new(ValueKind.Blob, 0, 0, bytes);

    public bool IsNull => Kind == ValueKind.Null;

    public bool IsNumber => Kind is ValueKind.Integer or ValueKind.Real;

    /// <summary>True when two values are the same stored value (both NULL, or of one kind and equal).</summary>
    public static bool Same(in FilterValue a, in FilterValue b) => a.Kind == b.Kind && (a.IsNull || Compare(a, b) == 0);

    /// <summary>SQLite's order of two non-NULL values: negative, zero or positive.</summary>
    public static int Compare(in FilterValue a, in FilterValue b)
    {
        if (a.IsNumber && b.IsNumber)
        {
            return (a.Kind, b.Kind) switch
            {
                (ValueKind.Integer, ValueKind.Integer) => a.Integer.CompareTo(b.Integer),
                (ValueKind.Integer, ValueKind.Real) => IntFloatCompare(a.Integer, b.Real),
                (ValueKind.Real, ValueKind.Integer) => -IntFloatCompare(b.Integer, a.Real),
                _ => a.Real < b.Real ? -1 : a.Real > b.Real ? 1 : 0,
            };
        }

        var ka = a.IsNumber ? ValueKind.Integer : a.Kind;
        var kb = b.IsNumber ? ValueKind.Integer : b.Kind;
        if (ka != kb)
        {
            return ka < kb ? -1 : 1;
        }

        return ka is ValueKind.Text or ValueKind.Blob ? CompareBytes(a.Bytes, b.Bytes) : 0;
    }

    /// <summary>memcmp over the shorter length, then the shorter first: SQLite's BINARY collation.</summary>
    public static int CompareBytes(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    /// <summary>An INTEGER against a REAL by exact value, as SQLite's sqlite3IntFloatCompare (no long double).</summary>
    public static int IntFloatCompare(long i, double r)
    {
        if (double.IsNaN(r))
        {
            return 1;
        }

        if (r < -9223372036854775808.0)
        {
            return 1;
        }

        if (r >= 9223372036854775808.0)
        {
            return -1;
        }

        var y = (long)r;
        if (i < y)
        {
            return -1;
        }

        if (i > y)
        {
            return 1;
        }

        var s = (double)i;
        return s < r ? -1 : s > r ? 1 : 0;
    }
}
