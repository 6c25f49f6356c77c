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

    /// <summary>
    /// The largest component magnitude a vector may have. Distances are float32 sums of squares and products: with
    /// components up to 1e15 and up to 16000 of them, a squared l2 distance stays below about 1e35, far from
    /// float32's 3.4e38 even after RobustPrune's alpha (at most 4) multiplies it.
    /// </summary>
    public const float MaxMagnitude = 1e15f;

    /// <summary>
    /// The smallest norm a non-zero vector may have. Below it products of components fall into float32's
    /// subnormal range or to zero: a cosine query treated as the zero vector, dot and l2 ties that are not ties.
    /// </summary>
    public const double MinNorm = 1e-15;

    /// <summary>
    /// What makes the vector unusable for distances, completing "the vector ...", or null: a NaN or infinity, a
    /// component beyond ±<see cref="MaxMagnitude"/>, or a norm that is not 0 but below <see cref="MinNorm"/>. The
    /// index and the vector_distance_* functions refuse the same vectors, so they agree on every one they accept.
    /// </summary>
    public static string? Problem(ReadOnlySpan<float> v)
    {
        var squares = 0.0;
        for (var i = 0; i < v.Length; i++)
        {
            var x = v[i];
            if (!float.IsFinite(x))
            {
                return $"has a NaN or infinite value at index {i}";
            }

            if (MathF.Abs(x) > MaxMagnitude)
            {
                return $"has the value {x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} at index {i}, beyond ±1e15 where distances overflow float32; scale the vectors down";
            }

            squares += (double)x * x;
        }

        var norm = Math.Sqrt(squares);
        if (norm > 0 && norm < MinNorm)
        {
            return $"has the norm {norm.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)}, not 0 but below 1e-15 where distances underflow float32; scale the vectors up (or use the zero vector)";
        }

        return null;
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
