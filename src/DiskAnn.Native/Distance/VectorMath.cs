using System.Numerics.Tensors;

namespace DiskAnn.Distance;

/// <summary>
/// The distance kernels (SIMD through <see cref="TensorPrimitives"/>). The index and the scalar SQL
/// functions both call these, so an index distance and <c>vector_distance_*</c> agree to the bit.
/// </summary>
internal static class VectorMath
{
    /// <summary>
    /// 1 / |v|, or 0 for the zero vector. Cosine distances are computed as 1 - dot * invA * invB, so a
    /// zero vector is at distance 1 from everything (it has no direction).
    /// </summary>
    public static float InverseNorm(ReadOnlySpan<float> v)
    {
        var norm = TensorPrimitives.Norm(v);
        return norm > 0f ? 1f / norm : 0f;
    }

    /// <summary>
    /// The distance of the metric. <paramref name="invA"/> and <paramref name="invB"/> are the inverse norms
    /// (only cosine reads them), precomputed once per stored vector and once per query.
    /// </summary>
    public static float Distance(DiskAnnMetric metric, ReadOnlySpan<float> a, float invA, ReadOnlySpan<float> b, float invB)
    {
        switch (metric)
        {
            case DiskAnnMetric.Cosine:
                {
                    // invA * invB first: the product is then symmetric in a and b, so the index and the SQL
                    // function agree to the bit whichever side the query is on.
                    var d = 1f - (TensorPrimitives.Dot(a, b) * (invA * invB));
                    // Rounding can take 1 - cos slightly below 0 for identical directions.
                    return d < 0f ? 0f : d;
                }

            case DiskAnnMetric.L2:
                return TensorPrimitives.Distance(a, b);
            default:
                return -TensorPrimitives.Dot(a, b);
        }
    }

    /// <summary>
    /// The distance the graph is built and searched with: the metric's distance, except squared for l2.
    /// The order is the same; what changes is RobustPrune's occlusion test, which DiskANN defines (and tunes
    /// alpha for) on squared Euclidean distances: with plain ones, lists in tight well-separated clusters fill
    /// with near neighbours and keep no edge between clusters. Results are reported with <see cref="Distance(DiskAnnMetric, ReadOnlySpan{float}, float, ReadOnlySpan{float}, float)"/>.
    /// </summary>
    public static float GraphDistance(DiskAnnMetric metric, ReadOnlySpan<float> a, float invA, ReadOnlySpan<float> b, float invB)
    {
        var d = Distance(metric, a, invA, b, invB);
        return metric == DiskAnnMetric.L2 ? d * d : d;
    }

    /// <summary>The distance between two vectors of the same length, computing norms itself.</summary>
    public static float Distance(DiskAnnMetric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var invA = metric == DiskAnnMetric.Cosine ? InverseNorm(a) : 0f;
        var invB = metric == DiskAnnMetric.Cosine ? InverseNorm(b) : 0f;
        return Distance(metric, a, invA, b, invB);
    }

    /// <summary>Index of the first NaN or infinite element, or -1.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> v)
    {
        for (var i = 0; i < v.Length; i++)
        {
            if (!float.IsFinite(v[i]))
            {
                return i;
            }
        }

        return -1;
    }

    public static string Name(DiskAnnMetric metric) => metric switch
    {
        DiskAnnMetric.Cosine => "cosine",
        DiskAnnMetric.L2 => "l2",
        _ => "dot",
    };
}
