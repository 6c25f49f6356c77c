using System.Globalization;
using System.Text.Json;

namespace DiskAnn.VectorData;

/// <summary>
/// Converts record values to what the data table stores and back. Writes, filter parameters and reads all go through
/// here, so a filter compares exactly what an upsert stored (a Guid is its lower-case text everywhere, a
/// DateTimeOffset its UTC text, so that text order is time order).
/// </summary>
internal static class ValueConverter
{
    /// <summary>The data property types the connector stores (and their nullable forms).</summary>
    public const string SupportedDataTypes =
        "string, int, long, short, bool, float, double, Guid, DateTime, DateTimeOffset, DateOnly, TimeOnly, byte[], and arrays or lists of string, int, long, double";

    private const string DateTimeFormat = "yyyy-MM-dd HH:mm:ss.fffffff";

    public static bool IsSupported(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return StorageType(type) is not null;
    }

    /// <summary>The SQLite column type of a property, or null when the type is not supported.</summary>
    public static string? StorageType(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(bool))
        {
            return "INTEGER";
        }

        if (type == typeof(float) || type == typeof(double))
        {
            return "REAL";
        }

        if (type == typeof(string) || type == typeof(Guid) || type == typeof(DateTime) || type == typeof(DateTimeOffset)
            || type == typeof(DateOnly) || type == typeof(TimeOnly))
        {
            return "TEXT";
        }

        if (type == typeof(byte[]))
        {
            return "BLOB";
        }

        return ElementType(type) is not null ? "TEXT" : null;
    }

    /// <summary>The element type of a supported array or list property (stored as a JSON array), or null.</summary>
    public static Type? ElementType(Type type)
    {
        var element = type.IsArray ? type.GetElementType()
            : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0]
            : null;
        return element == typeof(string) || element == typeof(int) || element == typeof(long) || element == typeof(double) ? element : null;
    }

    /// <summary>The value to bind for a property of <paramref name="type"/>: DBNull for null.</summary>
    public static object ToDb(object? value, Type type)
    {
        switch (value)
        {
            case null:
                return DBNull.Value;
            case bool b:
                return b ? 1L : 0L;
            case Guid g:
                return g.ToString("D");
            case DateTime dt:
                return dt.ToString(DateTimeFormat, CultureInfo.InvariantCulture);
            case DateTimeOffset dto:
                return dto.UtcDateTime.ToString(DateTimeFormat, CultureInfo.InvariantCulture) + "+00:00";
            case DateOnly d:
                return d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            case TimeOnly t:
                return t.ToString("HH:mm:ss.fffffff", CultureInfo.InvariantCulture);
            case float f:
                return (double)f;
            case string or byte[] or int or long or short or double:
                return value;
        }

        if (ElementType(type) is not null || ElementType(value.GetType()) is not null)
        {
            return JsonSerializer.Serialize(value, value.GetType());
        }

        // A filter may compare with a value of another numeric type (an int constant against a long property).
        return value is IConvertible ? Convert.ChangeType(value, Nullable.GetUnderlyingType(type) ?? type, CultureInfo.InvariantCulture) : value;
    }

    /// <summary>Reads a stored value back as <paramref name="type"/>.</summary>
    public static object? FromDb(Microsoft.Data.Sqlite.SqliteDataReader reader, int ordinal, Type type)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return reader.GetString(ordinal);
        }

        if (type == typeof(int))
        {
            return reader.GetInt32(ordinal);
        }

        if (type == typeof(long))
        {
            return reader.GetInt64(ordinal);
        }

        if (type == typeof(short))
        {
            return reader.GetInt16(ordinal);
        }

        if (type == typeof(bool))
        {
            return reader.GetInt64(ordinal) != 0;
        }

        if (type == typeof(double))
        {
            return reader.GetDouble(ordinal);
        }

        if (type == typeof(float))
        {
            return (float)reader.GetDouble(ordinal);
        }

        if (type == typeof(Guid))
        {
            return Guid.Parse(reader.GetString(ordinal));
        }

        if (type == typeof(DateTime))
        {
            return DateTime.ParseExact(reader.GetString(ordinal), DateTimeFormat, CultureInfo.InvariantCulture);
        }

        if (type == typeof(DateTimeOffset))
        {
            var text = reader.GetString(ordinal);
            return new DateTimeOffset(DateTime.ParseExact(text[..^6], DateTimeFormat, CultureInfo.InvariantCulture), TimeSpan.Zero);
        }

        if (type == typeof(DateOnly))
        {
            return DateOnly.ParseExact(reader.GetString(ordinal), "yyyy-MM-dd", CultureInfo.InvariantCulture);
        }

        if (type == typeof(TimeOnly))
        {
            return TimeOnly.ParseExact(reader.GetString(ordinal), "HH:mm:ss.fffffff", CultureInfo.InvariantCulture);
        }

        if (type == typeof(byte[]))
        {
            return (byte[])reader.GetValue(ordinal);
        }

        return JsonSerializer.Deserialize(reader.GetString(ordinal), type);
    }
}
