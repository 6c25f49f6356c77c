using DiskAnn.Distance;
using DiskAnn.Sqlite;

namespace DiskAnn.VirtualTable;

/// <summary>Reads the sqlite3_value arguments of the module's callbacks, with an error that names the problem for bad ones.</summary>
internal static unsafe class SqliteValues
{
    /// <summary>A vector argument: a BLOB of exactly <paramref name="dimension"/> float32 values that distances can be computed with (<see cref="VectorMath.Problem"/>).</summary>
    /// <param name="value">The sqlite3_value.</param>
    /// <param name="dimension">The table's dimension.</param>
    /// <param name="what">What the value is, for the error message.</param>
    /// <param name="into">An array of <paramref name="dimension"/> values to decode into (a cursor's, reused query after query), or null for a new one.</param>
    public static float[] ReadVector(nint value, int dimension, string what, float[]? into = null)
    {
        var expected = dimension * sizeof(float);
        var type = SqliteApi.value_type(value);
        switch (type)
        {
            case SqliteConstants.NULL:
                throw Error(SqliteConstants.CONSTRAINT, $"diskann: {what} is NULL; expected a BLOB of {dimension} float32 values ({expected} bytes)");
            case SqliteConstants.TEXT:
                throw Error(SqliteConstants.MISMATCH, $"diskann: {what} is TEXT; expected a BLOB of {dimension} float32 values ({expected} bytes). Convert JSON text with vector_from_json('[...]')");
            case SqliteConstants.INTEGER:
            case SqliteConstants.FLOAT:
                throw Error(SqliteConstants.MISMATCH, $"diskann: {what} is a number; expected a BLOB of {dimension} float32 values ({expected} bytes)");
        }

        var bytes = SqliteApi.value_bytes(value);
        if (bytes != expected)
        {
            throw Error(SqliteConstants.MISMATCH, $"diskann: {what} has {bytes} bytes ({bytes / 4.0:0.##} float32 values) but the index has dimension {dimension} ({expected} bytes)");
        }

        var vector = into is { Length: var length } && length == dimension ? into : new float[dimension];
        DiskAnnVector.Decode(new ReadOnlySpan<byte>(SqliteApi.value_blob(value), bytes), vector);
        if (VectorMath.Problem(vector) is { } problem)
        {
            throw Error(SqliteConstants.MISMATCH, $"diskann: {what} {problem}");
        }

        return vector;
    }

    /// <summary>
    /// An integer argument (k, search_list_size, a rowid) within [min, max]. As for an INTEGER column, a value that
    /// converts without loss counts: the REAL 3.0 and the text '3' are 3; 3.5 and 'abc' are errors.
    /// </summary>
    public static long ReadInteger(nint value, string what, long min, long max)
    {
        var type = SqliteApi.value_numeric_type(value);
        var real = type == SqliteConstants.FLOAT ? SqliteApi.value_double(value) : 0;
        if (type != SqliteConstants.INTEGER && !(type == SqliteConstants.FLOAT && real == Math.Floor(real) && Math.Abs(real) < 9.2233720368547758E18))
        {
            throw Error(SqliteConstants.MISMATCH, $"diskann: {what} must be an integer, got {Describe(value)}");
        }

        var number = type == SqliteConstants.INTEGER ? SqliteApi.value_int64(value) : (long)real;
        if (number < min || number > max)
        {
            throw Error(SqliteConstants.RANGE, $"diskann: {what} must be from {min} to {max}, got {number}");
        }

        return number;
    }

    public static bool IsNull(nint value) => SqliteApi.value_type(value) == SqliteConstants.NULL;

    public static string? ReadText(nint value) => Utf8.Read(SqliteApi.value_text(value));

    private static string Describe(nint value) => SqliteApi.value_type(value) switch
    {
        SqliteConstants.NULL => "NULL",
        SqliteConstants.BLOB => "a BLOB",
        SqliteConstants.TEXT => $"'{ReadText(value)}'",
        _ => SqliteApi.value_double(value).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static SqliteCallException Error(int code, string message) => new(code, message);
}
