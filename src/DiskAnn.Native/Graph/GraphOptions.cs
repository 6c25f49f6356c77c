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
    int CacheSizeMb = 0) // the declared budget of the vectors the process's image holds in memory, 0 = all (NodeStore.Cache.cs)
{
    /// <summary>The filter columns declared with the options (Filters/), in declaration order; empty for none.</summary>
    public IReadOnlyList<Filters.FilterColumn> FilterColumns { get; init; } = [];

    /// <summary>Equal options: every parameter, and the same filter columns in the same order.</summary>
    public bool Equals(GraphOptions? other)
        => other is not null && Dimension == other.Dimension && Metric == other.Metric && MaxDegree == other.MaxDegree
            && BuildListSize == other.BuildListSize && Alpha == other.Alpha && SearchListSize == other.SearchListSize
            && Quantization == other.Quantization && CacheSizeMb == other.CacheSizeMb && FilterColumns.SequenceEqual(other.FilterColumns);

    public override int GetHashCode() => HashCode.Combine(Dimension, Metric, MaxDegree, BuildListSize, Alpha, SearchListSize, Quantization, FilterColumns.Count);
}
