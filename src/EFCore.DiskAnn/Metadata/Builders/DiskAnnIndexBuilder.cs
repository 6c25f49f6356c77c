using DiskAnn;

namespace Microsoft.EntityFrameworkCore.Metadata.Builders;

/// <summary>
/// Configures a <c>diskann</c> index made by <c>HasDiskAnnIndex</c>: the metric and the graph options.
/// Every method stores an annotation on the underlying EF Core index and returns the same builder.
/// </summary>
public class DiskAnnIndexBuilder
{
    /// <summary>Wraps the EF Core index builder of a <c>diskann</c> index.</summary>
    public DiskAnnIndexBuilder(IndexBuilder indexBuilder)
    {
        ArgumentNullException.ThrowIfNull(indexBuilder);
        IndexBuilder = indexBuilder;
    }

    /// <summary>The EF Core index behind the <c>diskann</c> index.</summary>
    public virtual IndexBuilder IndexBuilder { get; }

    /// <summary>The metric the index orders by: <see cref="DiskAnnMetric.Cosine" /> (the default), L2 or Dot.</summary>
    public virtual DiskAnnIndexBuilder HasMetric(DiskAnnMetric metric)
    {
        _ = DiskAnnIndexOptions.FormatMetric(metric);
        IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.Metric, DiskAnnIndexOptions.FormatMetric(metric));
        return this;
    }

    /// <summary>The graph's maximum out-degree R (the module's <c>max_degree</c>).</summary>
    public virtual DiskAnnIndexBuilder HasMaxDegree(int maxDegree)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDegree);
        IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.MaxDegree, maxDegree);
        return this;
    }

    /// <summary>The search list size L used while inserting (the module's <c>build_search_list_size</c>).</summary>
    public virtual DiskAnnIndexBuilder HasBuildSearchListSize(int buildSearchListSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(buildSearchListSize);
        IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.BuildSearchListSize, buildSearchListSize);
        return this;
    }

    /// <summary>The RobustPrune parameter alpha, at least 1 (the module's <c>alpha</c>).</summary>
    public virtual DiskAnnIndexBuilder HasAlpha(double alpha)
    {
        if (double.IsNaN(alpha) || alpha < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be at least 1.");
        }

        IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.Alpha, alpha);
        return this;
    }

    /// <summary>The default search list size L of queries (the module's <c>search_list_size</c>).</summary>
    public virtual DiskAnnIndexBuilder HasSearchListSize(int searchListSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(searchListSize);
        IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.SearchListSize, searchListSize);
        return this;
    }

    /// <summary>
    /// The name of the virtual table (by default the EF Core index name, for example <c>IX_Docs_Embedding</c>).
    /// Its shadow tables are named after it.
    /// </summary>
    public virtual DiskAnnIndexBuilder HasDatabaseName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        IndexBuilder.HasDatabaseName(name);
        return this;
    }
}
