using DiskAnn;

namespace Microsoft.EntityFrameworkCore.Storage;

/// <summary>
/// The conversions and comparisons behind the vector type mapping. Public because EF Core compiles them into
/// expression trees (value converters and comparers); not meant to be called directly.
/// </summary>
public static class DiskAnnVectorConversions
{
    /// <summary>The float32 little-endian BLOB of a vector; checks the length when the column has an index.</summary>
    public static byte[] ToBlob(float[] vector, int dimension)
    {
        ArgumentNullException.ThrowIfNull(vector);
        CheckDimension(vector.Length, dimension);
        return DiskAnnVector.ToBlob(vector);
    }

    /// <summary>The float32 little-endian BLOB of a vector; checks the length when the column has an index.</summary>
    public static byte[] ToBlob(ReadOnlyMemory<float> vector, int dimension)
    {
        CheckDimension(vector.Length, dimension);
        return DiskAnnVector.ToBlob(vector.Span);
    }

    /// <summary>The vector stored in a BLOB.</summary>
    public static float[] ToArray(byte[] blob) => DiskAnnVector.FromBlob(blob);

    /// <summary>The vector stored in a BLOB.</summary>
    public static ReadOnlyMemory<float> ToMemory(byte[] blob) => DiskAnnVector.FromBlob(blob);

    /// <summary>Element-wise equality (bitwise on the floats, so NaN equals NaN and snapshots compare stably).</summary>
    public static bool ArrayEquals(float[]? left, float[]? right)
        => ReferenceEquals(left, right)
            || (left is not null && right is not null && left.AsSpan().SequenceEqual(right));

    /// <summary>Element-wise equality.</summary>
    public static bool MemoryEquals(ReadOnlyMemory<float> left, ReadOnlyMemory<float> right)
        => left.Span.SequenceEqual(right.Span);

    /// <summary>A hash of the vector's contents.</summary>
    public static int ArrayHash(float[]? vector) => vector is null ? 0 : Hash(vector);

    /// <summary>A hash of the vector's contents.</summary>
    public static int MemoryHash(ReadOnlyMemory<float> vector) => Hash(vector.Span);

    /// <summary>A copy of the vector, for change-tracking snapshots.</summary>
    public static float[] ArraySnapshot(float[] vector) => (float[])vector.Clone();

    /// <summary>A copy of the vector, for change-tracking snapshots.</summary>
    public static ReadOnlyMemory<float> MemorySnapshot(ReadOnlyMemory<float> vector) => vector.ToArray();

    private static int Hash(ReadOnlySpan<float> vector)
    {
        var hash = new HashCode();
        hash.Add(vector.Length);
        foreach (var value in vector)
        {
            hash.Add(value);
        }

        return hash.ToHashCode();
    }

    private static void CheckDimension(int length, int dimension)
    {
        if (dimension > 0 && length != dimension)
        {
            throw new InvalidOperationException(
                $"The vector has {length} values, but the diskann index on this column has dimension {dimension}.");
        }
    }
}
