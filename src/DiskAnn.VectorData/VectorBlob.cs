using System.Runtime.InteropServices;
using Microsoft.Extensions.AI;

namespace DiskAnn.VectorData;

/// <summary>Vectors as the diskann module stores them: float32 little-endian BLOBs of dimension * 4 bytes.</summary>
internal static class VectorBlob
{
    /// <summary>The native vector types a property or search value may have.</summary>
    public const string SupportedTypes = "ReadOnlyMemory<float>, float[], Embedding<float>";

    public static bool IsVectorType(Type type)
        => type == typeof(ReadOnlyMemory<float>) || type == typeof(ReadOnlyMemory<float>?) || type == typeof(float[]) || type == typeof(Embedding<float>);

    /// <summary>The floats of a value of a native vector type; false for anything else (null included).</summary>
    public static bool TryGet(object? value, out ReadOnlyMemory<float> vector)
    {
        switch (value)
        {
            case ReadOnlyMemory<float> m:
                vector = m;
                return true;
            case float[] a:
                vector = a;
                return true;
            case Embedding<float> e:
                vector = e.Vector;
                return true;
            default:
                vector = default;
                return false;
        }
    }

    public static byte[] ToBlob(ReadOnlySpan<float> vector) => MemoryMarshal.AsBytes(vector).ToArray();

    /// <summary>A stored BLOB as the property's type.</summary>
    public static object FromBlob(byte[] blob, Type type)
    {
        var floats = MemoryMarshal.Cast<byte, float>(blob).ToArray();
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(float[]) ? floats
            : type == typeof(Embedding<float>) ? new Embedding<float>(floats)
            : new ReadOnlyMemory<float>(floats);
    }
}
