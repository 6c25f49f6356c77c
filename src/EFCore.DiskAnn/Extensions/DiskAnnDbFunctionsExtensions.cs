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

    /// <summary>
    /// The distance between two vectors, in the metric of the <c>diskann</c> index on either argument's column, with the
    /// search list size L that <c>OrderBy(VectorDistance).Take(k)</c> searches the index with: a larger L finds more of
    /// the true nearest neighbours (higher recall) and reads more vectors. It overrides the context's default
    /// (<c>UseDiskAnn(o =&gt; o.SearchListSize(n))</c>) and the index's <c>search_list_size</c>, needs no migration, and
    /// is sent as <c>AND search_list_size = @p</c> in the search; a query the index does not answer ignores it.
    /// </summary>
    /// <example><code>db.Docs.OrderBy(d =&gt; EF.Functions.VectorDistance(d.Embedding, query, searchListSize: 200)).Take(10)</code></example>
    /// <param name="_">The <c>EF.Functions</c> instance.</param>
    /// <param name="vector1">A vector, usually the indexed column.</param>
    /// <param name="vector2">The other vector, usually the query.</param>
    /// <param name="searchListSize">L, from 1 to <see cref="DiskAnnLimits.MaxK" />.</param>
    public static double VectorDistance(this DbFunctions _, float[]? vector1, float[]? vector2, int searchListSize)
        => throw new InvalidOperationException(CoreStrings.FunctionOnClient(nameof(VectorDistance)));

    /// <summary>
    /// The distance between two vectors in the given metric, with the search list size L of the index's search (see
    /// <see cref="VectorDistance(DbFunctions, float[], float[], int)" />).
    /// </summary>
    /// <param name="_">The <c>EF.Functions</c> instance.</param>
    /// <param name="vector1">A vector, usually the indexed column.</param>
    /// <param name="vector2">The other vector, usually the query.</param>
    /// <param name="metric">The metric, which must be the index's for the index to answer.</param>
    /// <param name="searchListSize">L, from 1 to <see cref="DiskAnnLimits.MaxK" />.</param>
    public static double VectorDistance(this DbFunctions _, float[]? vector1, float[]? vector2, [NotParameterized] DiskAnnMetric metric, int searchListSize)
        => throw new InvalidOperationException(CoreStrings.FunctionOnClient(nameof(VectorDistance)));

    /// <summary>
    /// The distance between a <c>ReadOnlyMemory&lt;float&gt;</c> vector and an array, in the metric of the index on the
    /// column, with the search list size L of the index's search (see
    /// <see cref="VectorDistance(DbFunctions, float[], float[], int)" />).
    /// </summary>
    /// <param name="_">The <c>EF.Functions</c> instance.</param>
    /// <param name="vector1">The indexed column.</param>
    /// <param name="vector2">The query.</param>
    /// <param name="searchListSize">L, from 1 to <see cref="DiskAnnLimits.MaxK" />.</param>
    public static double VectorDistance(this DbFunctions _, ReadOnlyMemory<float> vector1, float[]? vector2, int searchListSize)
        => throw new InvalidOperationException(CoreStrings.FunctionOnClient(nameof(VectorDistance)));

    /// <summary>
    /// The distance between two <c>ReadOnlyMemory&lt;float&gt;</c> vectors in the given metric, with the search list size L
    /// of the index's search (see <see cref="VectorDistance(DbFunctions, float[], float[], int)" />).
    /// </summary>
    /// <param name="_">The <c>EF.Functions</c> instance.</param>
    /// <param name="vector1">The indexed column.</param>
    /// <param name="vector2">The query.</param>
    /// <param name="metric">The metric, which must be the index's for the index to answer.</param>
    /// <param name="searchListSize">L, from 1 to <see cref="DiskAnnLimits.MaxK" />.</param>
    public static double VectorDistance(
        this DbFunctions _,
        ReadOnlyMemory<float> vector1,
        ReadOnlyMemory<float> vector2,
        [NotParameterized] DiskAnnMetric metric,
        int searchListSize)
        => throw new InvalidOperationException(CoreStrings.FunctionOnClient(nameof(VectorDistance)));
}
