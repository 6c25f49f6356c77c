namespace DiskAnn.Graph;

/// <summary>The parameters of a Vamana graph (names as in the DiskANN paper in the comments).</summary>
internal sealed record GraphOptions(
    int Dimension,
    DiskAnnMetric Metric,
    int MaxDegree,        // R
    int BuildListSize,    // L at insert
    float Alpha,          // RobustPrune's alpha
    int SearchListSize,   // L at query, unless the query says otherwise
    DiskAnnQuantization Quantization = DiskAnnQuantization.None,
    int CacheSizeMb = 0) // vectors held in memory per connection, 0 = all (NodeStore.Cache.cs)
{
    /// <summary>The filter columns declared with the options (Filters/), in declaration order; empty for none.</summary>
    public IReadOnlyList<Filters.FilterColumn> FilterColumns { get; init; } = [];
}
