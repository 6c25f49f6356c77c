using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using DiskAnn.Distance;
using DiskAnn.Sqlite;
using DiskAnn.VirtualTable;
using static DiskAnn.Sqlite.SqliteConstants;

namespace DiskAnn.Functions;

/// <summary>
/// The scalar SQL functions: exact distances with the same kernels as the index, and JSON conversion so
/// that a person at a SQL prompt can write a vector. NULL in gives NULL out; anything else that is not a
/// float32 BLOB is an error naming the argument.
/// </summary>
internal static unsafe class VectorFunctions
{
    public static void Register(nint db)
    {
        Create(db, "vector_distance_cosine", 2, &DistanceCosine);
        Create(db, "vector_distance_l2", 2, &DistanceL2);
        Create(db, "vector_distance_dot", 2, &DistanceDot);
        Create(db, "vector_from_json", 1, &FromJson);
        Create(db, "vector_to_json", 1, &ToJson);
        Create(db, "vector_dims", 1, &Dimensions);
    }

    private static void Create(nint db, string name, int arguments, delegate* unmanaged[Cdecl]<nint, int, nint*, void> function)
    {
        var z = Utf8.Z(name);
        fixed (byte* p = z)
        {
            var rc = SqliteApi.create_function_v2(db, p, arguments, UTF8 | DETERMINISTIC | INNOCUOUS, 0, function, 0, 0, null);
            if (rc != OK)
            {
                throw SqliteStatement.Error(db, rc, null);
            }
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void DistanceCosine(nint context, int argc, nint* argv) => Distance(context, argv, DiskAnnMetric.Cosine, "vector_distance_cosine");

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void DistanceL2(nint context, int argc, nint* argv) => Distance(context, argv, DiskAnnMetric.L2, "vector_distance_l2");

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void DistanceDot(nint context, int argc, nint* argv) => Distance(context, argv, DiskAnnMetric.Dot, "vector_distance_dot");

    private static void Distance(nint context, nint* argv, DiskAnnMetric metric, string name)
    {
        try
        {
            if (SqliteValues.IsNull(argv[0]) || SqliteValues.IsNull(argv[1]))
            {
                SqliteApi.result_null(context);
                return;
            }

            var a = ReadBlob(argv[0], name, 1, checkRange: true);
            var b = ReadBlob(argv[1], name, 2, checkRange: true);
            if (a.Length != b.Length)
            {
                throw new SqliteCallException(ERROR, $"{name}: the vectors have different dimensions ({a.Length} and {b.Length})");
            }

            SqliteApi.result_double(context, VectorMath.Distance(metric, a, b));
        }
        catch (Exception e)
        {
            Error(context, e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void FromJson(nint context, int argc, nint* argv)
    {
        try
        {
            if (SqliteValues.IsNull(argv[0]))
            {
                SqliteApi.result_null(context);
                return;
            }

            if (SqliteApi.value_type(argv[0]) != TEXT)
            {
                throw new SqliteCallException(MISMATCH, "vector_from_json: the argument must be JSON text such as '[0.1, 0.2, 0.3]'");
            }

            var bytes = SqliteApi.value_bytes(argv[0]);
            var vector = ParseJson(new ReadOnlySpan<byte>(SqliteApi.value_text(argv[0]), bytes));
            var blob = DiskAnnVector.ToBlob(vector);
            fixed (byte* p = blob)
            {
                SqliteApi.result_blob(context, p, blob.Length, SqliteApi.Transient);
            }
        }
        catch (Exception e)
        {
            Error(context, e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void ToJson(nint context, int argc, nint* argv)
    {
        try
        {
            if (SqliteValues.IsNull(argv[0]))
            {
                SqliteApi.result_null(context);
                return;
            }

            var vector = ReadBlob(argv[0], "vector_to_json", 1);
            var text = new StringBuilder(vector.Length * 12);
            text.Append('[');
            for (var i = 0; i < vector.Length; i++)
            {
                if (i > 0)
                {
                    text.Append(',');
                }

                // The shortest text that reads back as the same float32.
                text.Append(vector[i].ToString(CultureInfo.InvariantCulture));
            }

            text.Append(']');
            var z = Encoding.UTF8.GetBytes(text.ToString());
            fixed (byte* p = z)
            {
                SqliteApi.result_text(context, p, z.Length, SqliteApi.Transient);
            }
        }
        catch (Exception e)
        {
            Error(context, e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Dimensions(nint context, int argc, nint* argv)
    {
        try
        {
            if (SqliteValues.IsNull(argv[0]))
            {
                SqliteApi.result_null(context);
                return;
            }

            SqliteApi.result_int64(context, ReadBlob(argv[0], "vector_dims", 1).Length);
        }
        catch (Exception e)
        {
            Error(context, e);
        }
    }

    /// <summary>Parses '[1, 2.5, -3e-2]'; the numbers must be finite float32 values.</summary>
    public static float[] ParseJson(ReadOnlySpan<byte> json)
    {
        var values = new List<float>();
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                throw new SqliteCallException(ERROR, "vector_from_json: expected a JSON array of numbers such as '[0.1, 0.2, 0.3]'");
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetSingle(out var value) || !float.IsFinite(value))
                {
                    throw new SqliteCallException(ERROR, $"vector_from_json: element {values.Count} is not a finite number");
                }

                values.Add(value);
            }

            if (reader.TokenType != JsonTokenType.EndArray || reader.Read())
            {
                throw new SqliteCallException(ERROR, "vector_from_json: the text must be one JSON array and nothing after it");
            }
        }
        catch (JsonException e)
        {
            throw new SqliteCallException(ERROR, $"vector_from_json: invalid JSON ({e.Message})");
        }

        if (values.Count == 0)
        {
            throw new SqliteCallException(ERROR, "vector_from_json: the array is empty");
        }

        return [.. values];
    }

    private static float[] ReadBlob(nint value, string name, int position, bool checkRange = false)
    {
        if (SqliteApi.value_type(value) != BLOB)
        {
            throw new SqliteCallException(MISMATCH, $"{name}: argument {position} must be a BLOB of float32 values (use vector_from_json for JSON text)");
        }

        var bytes = SqliteApi.value_bytes(value);
        if (bytes == 0 || bytes % 4 != 0)
        {
            throw new SqliteCallException(MISMATCH, $"{name}: argument {position} has {bytes} bytes, not a whole number of float32 values");
        }

        var vector = DiskAnnVector.FromBlob(new ReadOnlySpan<byte>(SqliteApi.value_blob(value), bytes));
        // The distance functions refuse what the index refuses; vector_to_json and vector_dims show any vector.
        if (checkRange && VectorMath.Problem(vector) is { } problem)
        {
            throw new SqliteCallException(MISMATCH, $"{name}: argument {position} {problem}");
        }
        else if (!checkRange && VectorMath.IndexOfNonFinite(vector) is var bad and >= 0)
        {
            throw new SqliteCallException(MISMATCH, $"{name}: argument {position} has a NaN or infinite value at index {bad}");
        }

        return vector;
    }

    private static void Error(nint context, Exception e)
    {
        var z = Encoding.UTF8.GetBytes(e.Message);
        fixed (byte* p = z)
        {
            SqliteApi.result_error(context, p, z.Length);
        }

        if (e is SqliteCallException s && s.ResultCode != ERROR)
        {
            SqliteApi.result_error_code(context, s.ResultCode);
        }
    }
}
