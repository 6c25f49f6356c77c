using DiskAnn;

namespace Microsoft.EntityFrameworkCore.Metadata.Builders;

/// <summary>
/// Configures a <c>diskann</c> index made by <c>HasDiskAnnIndex</c>: the metric, the graph options and the vector storage.
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
    /// How the index stores its vectors (the module's <c>quantization</c>): <see cref="DiskAnnQuantization.None" /> (float32,
    /// the default) or <see cref="DiskAnnQuantization.Int8" /> (one byte per component and a scale per vector, about 0.39x the
    /// size). With int8, <c>OrderBy(VectorDistance).Take(k)</c> takes 4k candidates from the index and re-ranks them by
    /// the exact distance on the entity's own float32 column, so results and distances stay exact float32.
    /// </summary>
    public virtual DiskAnnIndexBuilder HasQuantization(DiskAnnQuantization quantization)
    {
        var name = DiskAnnIndexOptions.FormatQuantization(quantization);
        if (quantization == DiskAnnQuantization.None)
        {
            // The default has no annotation: a model that never declared the option and one that says None are the same.
            IndexBuilder.Metadata.RemoveAnnotation(DiskAnnAnnotationNames.Quantization);
        }
        else
        {
            IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.Quantization, name);
        }

        return this;
    }

    /// <summary>
    /// The vector cache budget of the process's image of the index, shared by its connections, in MiB (the module's
    /// <c>cache_size_mb</c>; 0 keeps every vector in memory). Declaring it also gives the table small (32 KiB) vector chunks, so that reading a vector back is cheap.
    /// </summary>
    public virtual DiskAnnIndexBuilder HasCacheSize(int megabytes)
    {
        if (megabytes is < 0 or > DiskAnnIndexOptions.MaxCacheSizeMb)
        {
            throw new ArgumentOutOfRangeException(nameof(megabytes), megabytes, DiskAnnIndexOptions.CacheSizeMessage);
        }

        IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.CacheSizeMb, megabytes);
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
