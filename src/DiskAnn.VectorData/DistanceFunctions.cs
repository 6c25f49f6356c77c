using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace DiskAnn.VectorData;

/// <summary>
/// The abstractions' distance functions the index offers. Each is a distance (smaller is nearer) and the module
/// reports exactly the value the abstractions define, so a score is the module's <c>distance</c> unchanged:
/// CosineDistance is 1 - cos (metric cosine), EuclideanDistance the Euclidean distance, not squared (metric l2),
/// NegativeDotProductSimilarity is -(a·b) (metric dot).
/// </summary>
internal static class DistanceFunctions
{
    private const string Supported = $"{DistanceFunction.CosineDistance}, {DistanceFunction.EuclideanDistance} and {DistanceFunction.NegativeDotProductSimilarity}";

    public static DiskAnnMetric MetricOf(VectorPropertyModel property) => property.DistanceFunction switch
    {
        null or DistanceFunction.CosineDistance => DiskAnnMetric.Cosine,
        DistanceFunction.EuclideanDistance => DiskAnnMetric.L2,
        DistanceFunction.NegativeDotProductSimilarity => DiskAnnMetric.Dot,
        var other => throw new NotSupportedException(
            $"The distance function '{other}' of vector property '{property.ModelName}' is not supported by the DiskAnn connector: use {Supported}."),
    };

    /// <summary>True for an exact scan (IndexKind.Flat), false for the diskann index (IndexKind.DiskAnn, the default).</summary>
    public static bool IsFlat(VectorPropertyModel property) => property.IndexKind switch
    {
        null or IndexKind.DiskAnn => false,
        IndexKind.Flat => true,
        var other => throw new NotSupportedException(
            $"The index kind '{other}' of vector property '{property.ModelName}' is not supported by the DiskAnn connector: use {IndexKind.DiskAnn} (the default, approximate) or {IndexKind.Flat} (exact scan)."),
    };

    /// <summary>The SQL function computing the metric's distance, for the exact scan.</summary>
    public static string SqlFunction(DiskAnnMetric metric) => metric switch
    {
        DiskAnnMetric.L2 => "vector_distance_l2",
        DiskAnnMetric.Dot => "vector_distance_dot",
        _ => "vector_distance_cosine",
    };
}
