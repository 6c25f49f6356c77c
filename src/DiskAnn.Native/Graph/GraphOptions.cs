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
    int CacheSizeMb = 0); // the declared budget of the vectors the process's image holds in memory, 0 = all (NodeStore.Cache.cs)
