using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DiskAnn;

/// <summary>
/// Converts between <c>float</c> vectors and the BLOB form the <c>diskann</c> table stores and accepts:
/// float32 values, little-endian, four bytes each, nothing else.
/// </summary>
public static class DiskAnnVector
{
    /// <summary>The BLOB for a vector, to bind as the value of a <c>vector</c> column or a <c>MATCH</c>.</summary>
    /// <param name="vector">The vector; as many values as the table's <c>dimension</c>.</param>
    /// <returns>Four little-endian bytes per value.</returns>
    public static byte[] ToBlob(ReadOnlySpan<float> vector)
    {
        var blob = new byte[vector.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(vector).CopyTo(blob);
        }
        else
        {
            for (var i = 0; i < vector.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(blob.AsSpan(i * 4), vector[i]);
            }
        }

        return blob;
    }

    /// <summary>The vector in a BLOB; its length must be a multiple of four bytes.</summary>
    /// <param name="blob">A BLOB written by <see cref="ToBlob" /> (or read from a <c>vector</c> column).</param>
    /// <returns>The vector's values.</returns>
    public static float[] FromBlob(ReadOnlySpan<byte> blob)
    {
        if (blob.Length % sizeof(float) != 0)
        {
            throw new ArgumentException($"A vector BLOB holds float32 values, so its length must be a multiple of 4 bytes; this one has {blob.Length}.", nameof(blob));
        }

        var vector = new float[blob.Length / sizeof(float)];
        Decode(blob, vector);
        return vector;
    }

    /// <summary>Decodes a BLOB of float32 values into <paramref name="vector"/>, which has one element per four bytes.</summary>
    internal static void Decode(ReadOnlySpan<byte> blob, Span<float> vector)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(blob).CopyTo(vector);
        }
        else
        {
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] = BinaryPrimitives.ReadSingleLittleEndian(blob[(i * 4)..]);
            }
        }
    }
}
