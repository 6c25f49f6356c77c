using DiskAnn;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Query;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>
/// Vector distance for LINQ queries, translated to the exact SQL functions <c>vector_distance_cosine</c>,
/// <c>vector_distance_l2</c> and <c>vector_distance_dot</c>; <c>OrderBy(VectorDistance).Take(k)</c> over a column with a
/// <c>diskann</c> index of the same metric is answered by the index. These methods only work inside queries.
/// </summary>
public static class DiskAnnDbFunctionsExtensions
{
    /// <summary>
    /// The distance between two vectors, in the metric of the <c>diskann</c> index on either argument's column
    /// (cosine when neither has one): <c>1 - cos</c> for cosine, Euclidean for L2, the negative inner product for Dot.
    /// </summary>
    public static double VectorDistance(this DbFunctions _, float[]? vector1, float[]? vector2)
        => throw new InvalidOperationException(CoreStrings.FunctionOnClient(nameof(VectorDistance)));

    /// <summary>The distance between two vectors in the given metric.</summary>
    public static double VectorDistance(this DbFunctions _, float[]? vector1, float[]? vector2, [NotParameterized] DiskAnnMetric metric)
        => throw new InvalidOperationException(CoreStrings.FunctionOnClient(nameof(VectorDistance)));

    /// <summary>
    /// The distance between a <c>ReadOnlyMemory&lt;float&gt;</c> vector and an array, in the metric of the
    /// <c>diskann</c> index on the column (cosine when it has none).
    /// </summary>
    public static double VectorDistance(this DbFunctions _, ReadOnlyMemory<float> vector1, float[]? vector2)
        => throw new InvalidOperationException(CoreStrings.FunctionOnClient(nameof(VectorDistance)));

    /// <summary>
    /// The distance between two <c>ReadOnlyMemory&lt;float&gt;</c> vectors in the given metric. (There is deliberately no
    /// overload without the metric: it would be ambiguous beside the Cosmos provider's <c>VectorDistance</c>.)
    /// </summary>
    public static double VectorDistance(
        this DbFunctions _,
        ReadOnlyMemory<float> vector1,
        ReadOnlyMemory<float> vector2,
        [NotParameterized] DiskAnnMetric metric)
        => throw new InvalidOperationException(CoreStrings.FunctionOnClient(nameof(VectorDistance)));
}
