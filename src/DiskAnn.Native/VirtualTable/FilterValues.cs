using DiskAnn.Filters;
using DiskAnn.Sqlite;

namespace DiskAnn.VirtualTable;

/// <summary>
/// sqlite3_value arguments as filter values: a row's value converted to its column's type (as a STRICT table
/// converts it: what converts without loss is stored converted, anything else is refused with the column's name),
/// and a constraint's operand given the column's affinity for comparison, as SQLite gives it when it compares a
/// column with a value.
/// </summary>
internal static unsafe class FilterValues
{
    /// <summary>A value to store in <paramref name="column"/>, or an error naming the column and the value.</summary>
    public static FilterValue ForColumn(nint value, FilterColumn column, string table)
    {
        if (SqliteApi.value_type(value) == SqliteConstants.NULL)
        {
            return FilterValue.Null;
        }

        switch (column.Type)
        {
            case FilterType.Text:
                if (SqliteApi.value_type(value) == SqliteConstants.BLOB)
                {
                    throw Refused(column, table, "a BLOB");
                }

                return FilterValue.FromText(TextBytes(value));
            case FilterType.Integer:
            {
                var original = SqliteApi.value_type(value);
                var type = SqliteApi.value_numeric_type(value);
                if (type == SqliteConstants.INTEGER)
                {
                    return FilterValue.FromInteger(SqliteApi.value_int64(value));
                }

                var real = SqliteApi.value_double(value);
                if (type == SqliteConstants.FLOAT && real == Math.Floor(real) && real >= -9223372036854775808.0 && real < 9223372036854775808.0)
                {
                    return FilterValue.FromInteger((long)real);
                }

                throw Refused(column, table, Describe(value, original));
            }

            default:
            {
                var original = SqliteApi.value_type(value);
                var type = SqliteApi.value_numeric_type(value);
                if (type is SqliteConstants.INTEGER or SqliteConstants.FLOAT)
                {
                    // -0.0 is stored as 0.0, as SQLite stores a REAL that equals an integer (it reads back as 0.0).
                    var real = SqliteApi.value_double(value);
                    return FilterValue.FromReal(real == 0 ? 0.0 : real);
                }

                throw Refused(column, table, Describe(value, original));
            }
        }
    }

    /// <summary>
    /// A constraint's operand with the column's affinity applied: NUMERIC for an INTEGER or REAL column (the text '5'
    /// compares as 5; 'abc' stays text, which sorts after every number; SQLite applies it to any operand there). A
    /// number compared with a TEXT column is refused: SQLite compares it as text when it has no affinity (a literal, a
    /// parameter: 5 is '5') but the column's text as a number when it has a numeric one (CAST(5 AS INTEGER), an
    /// INTEGER column in a join or IN (SELECT ...): '5.0' is 5), and the value the module is given does not say which.
    /// </summary>
    public static FilterValue Operand(nint value, FilterColumn column)
    {
        if (IsNumberForText(value, column))
        {
            throw new SqliteCallException(SqliteConstants.MISMATCH, $"diskann: TEXT filter column {column.Name} is compared with {Describe(value, SqliteApi.value_type(value))} in a vector search: SQLite compares a number with a TEXT column as text or as a number depending on where the number comes from, which the module cannot see; write the value as text ('{Utf8.Read(SqliteApi.value_text(value))}'), or write the condition as rowid IN (SELECT rowid FROM ... WHERE ...)");
        }

        var type = column.Type;
        var storage = SqliteApi.value_type(value);
        if (storage == SqliteConstants.NULL)
        {
            return FilterValue.Null;
        }

        if (storage == SqliteConstants.BLOB)
        {
            return FilterValue.FromBlob(new ReadOnlySpan<byte>(SqliteApi.value_blob(value), SqliteApi.value_bytes(value)).ToArray());
        }

        if (type == FilterType.Text)
        {
            return FilterValue.FromText(TextBytes(value));
        }

        return SqliteApi.value_numeric_type(value) switch
        {
            SqliteConstants.INTEGER => FilterValue.FromInteger(SqliteApi.value_int64(value)),
            SqliteConstants.FLOAT => FilterValue.FromReal(SqliteApi.value_double(value)),
            _ => FilterValue.FromText(TextBytes(value)),
        };
    }

    /// <summary>Whether the operand is a number compared with a TEXT column (which <see cref="Operand"/> refuses).</summary>
    public static bool IsNumberForText(nint value, FilterColumn column)
        => column.Type == FilterType.Text && SqliteApi.value_type(value) is SqliteConstants.INTEGER or SqliteConstants.FLOAT;

    /// <summary>A filter value as the result of xColumn.</summary>
    public static void Result(nint context, in FilterValue value)
    {
        switch (value.Kind)
        {
            case ValueKind.Null:
                SqliteApi.result_null(context);
                break;
            case ValueKind.Integer:
                SqliteApi.result_int64(context, value.Integer);
                break;
            case ValueKind.Real:
                SqliteApi.result_double(context, value.Real);
                break;
            default:
                fixed (byte* p = value.Bytes)
                {
                    byte empty = 0;
                    SqliteApi.result_text(context, p is null ? &empty : p, value.Bytes!.Length, SqliteApi.Transient);
                }

                break;
        }
    }

    /// <summary>The value as UTF-8 text (a number rendered as SQLite renders it).</summary>
    private static byte[] TextBytes(nint value)
    {
        var p = SqliteApi.value_text(value);
        var n = SqliteApi.value_bytes(value);
        return p is null ? [] : new ReadOnlySpan<byte>(p, n).ToArray();
    }

    private static string Describe(nint value, int type) => type switch
    {
        SqliteConstants.BLOB => "a BLOB",
        SqliteConstants.TEXT => $"the text '{Utf8.Read(SqliteApi.value_text(value))}'",
        _ => $"the number {SqliteApi.value_double(value).ToString(System.Globalization.CultureInfo.InvariantCulture)}",
    };

    private static SqliteCallException Refused(FilterColumn column, string table, string what)
        => new(SqliteConstants.MISMATCH, $"diskann: cannot store {what} in {FilterTypes.Name(column.Type)} column {table}.{column.Name}: write a value of that type, or NULL");
}
