using System.Linq.Expressions;
using DiskAnn;
using Microsoft.EntityFrameworkCore.Infrastructure;

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
        IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.Metric, DiskAnnIndexOptions.FormatMetric(metric));
        return this;
    }

    /// <summary>The graph's maximum out-degree R (the module's <c>max_degree</c>): 2 to 256, 32 by default.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside the range the module accepts.</exception>
    public virtual DiskAnnIndexBuilder HasMaxDegree(int maxDegree)
    {
        DiskAnnIndexOptions.CheckOption(DiskAnnOptionSpec.MaxDegree, maxDegree, nameof(maxDegree), nameof(HasMaxDegree));
        IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.MaxDegree, maxDegree);
        return this;
    }

    /// <summary>
    /// The search list size L used while inserting (the module's <c>build_search_list_size</c>): 1 to
    /// <see cref="DiskAnnLimits.MaxK" />, by default 100 or the max degree when that is larger.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside the range the module accepts.</exception>
    public virtual DiskAnnIndexBuilder HasBuildSearchListSize(int buildSearchListSize)
    {
        DiskAnnIndexOptions.CheckOption(DiskAnnOptionSpec.BuildSearchListSize, buildSearchListSize, nameof(buildSearchListSize), nameof(HasBuildSearchListSize));
        IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.BuildSearchListSize, buildSearchListSize);
        return this;
    }

    /// <summary>The RobustPrune parameter alpha (the module's <c>alpha</c>): 1 to 4, 1.2 by default.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside the range the module accepts.</exception>
    public virtual DiskAnnIndexBuilder HasAlpha(double alpha)
    {
        DiskAnnIndexOptions.CheckOption(DiskAnnOptionSpec.Alpha, alpha, nameof(alpha), nameof(HasAlpha));
        IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.Alpha, alpha);
        return this;
    }

    /// <summary>
    /// The default search list size L of queries (the module's <c>search_list_size</c>): 1 to
    /// <see cref="DiskAnnLimits.MaxK" />, 64 by default. A larger L finds more of the true nearest neighbours and reads
    /// more vectors. Changing it rebuilds the index in the next migration; to tune queries without a migration, give the
    /// context a default (<c>UseDiskAnn(o =&gt; o.SearchListSize(100))</c>) or a query its own
    /// (<c>EF.Functions.VectorDistance(d.Embedding, q, searchListSize: 200)</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside the range the module accepts.</exception>
    public virtual DiskAnnIndexBuilder HasSearchListSize(int searchListSize)
    {
        DiskAnnIndexOptions.CheckOption(DiskAnnOptionSpec.SearchListSize, searchListSize, nameof(searchListSize), nameof(HasSearchListSize));
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
    /// <c>cache_size_mb</c>, 0 to 1048576; 0 keeps every vector in memory). Declaring it also gives the table small (32 KiB) vector chunks, so that reading a vector back is cheap.
    /// </summary>
    public virtual DiskAnnIndexBuilder HasCacheSize(int megabytes)
    {
        DiskAnnIndexOptions.CheckOption(DiskAnnOptionSpec.CacheSizeMb, megabytes, nameof(megabytes), nameof(HasCacheSize));
        IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.CacheSizeMb, megabytes);
        return this;
    }

    /// <summary>
    /// Includes properties of the entity in the index as filter columns (like SQL Server's <c>INCLUDE</c> and Npgsql's
    /// <c>IncludeProperties</c>): the virtual table gets a column for each (INTEGER, REAL or TEXT, named after the
    /// entity table's column), the triggers copy their values, and a <c>Where</c> on them before
    /// <c>OrderBy(VectorDistance).Take(k)</c> is evaluated inside the search. Replaces the properties included before.
    /// Changing them rebuilds the index in the next migration.
    /// </summary>
    /// <param name="propertyNames">The properties, in the order of the index's columns.</param>
    public virtual DiskAnnIndexBuilder IncludeProperties(params string[] propertyNames)
    {
        ArgumentNullException.ThrowIfNull(propertyNames);
        foreach (var name in propertyNames)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name, nameof(propertyNames));
        }

        if (propertyNames.Length == 0)
        {
            IndexBuilder.Metadata.RemoveAnnotation(DiskAnnAnnotationNames.IncludeProperties);
        }
        else
        {
            IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.IncludeProperties, propertyNames.ToArray());
        }

        return this;
    }

    /// <summary>
    /// Makes a property of the entity (an INTEGER or TEXT column, such as a tenant id) the index's PARTITION KEY: a filter
    /// column by which the module keeps the rows of each value apart, so that a search restricted to one value (a
    /// <c>Where(d =&gt; d.TenantId == id)</c>) reads that partition only. Changing it rebuilds the index in the next migration.
    /// </summary>
    /// <param name="propertyName">The property.</param>
    public virtual DiskAnnIndexBuilder HasPartitionKey(string propertyName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(propertyName);
        IndexBuilder.HasAnnotation(DiskAnnAnnotationNames.PartitionKey, propertyName);
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

/// <summary>
/// The <see cref="DiskAnnIndexBuilder" /> of an index declared with a lambda (<c>HasDiskAnnIndex(d =&gt; d.Embedding, 384)</c>):
/// the same methods, plus <see cref="IncludeProperties(Expression{Func{TEntity, object}})" /> and
/// <see cref="HasPartitionKey(Expression{Func{TEntity, object}})" /> with lambdas.
/// </summary>
/// <typeparam name="TEntity">The entity type.</typeparam>
public class DiskAnnIndexBuilder<TEntity> : DiskAnnIndexBuilder
    where TEntity : class
{
    /// <summary>Wraps the EF Core index builder of a <c>diskann</c> index.</summary>
    public DiskAnnIndexBuilder(IndexBuilder indexBuilder)
        : base(indexBuilder)
    {
    }

    /// <summary>
    /// Includes properties of the entity as filter columns, for example <c>d =&gt; new { d.Lang, d.Price }</c> (see
    /// <see cref="DiskAnnIndexBuilder.IncludeProperties(string[])" />).
    /// </summary>
    /// <param name="includeExpression">A lambda returning the property, or an anonymous type of the properties.</param>
    public virtual DiskAnnIndexBuilder<TEntity> IncludeProperties(Expression<Func<TEntity, object?>> includeExpression)
    {
        ArgumentNullException.ThrowIfNull(includeExpression);
        return IncludeProperties([.. includeExpression.GetMemberAccessList().Select(m => m.Name)]);
    }

    /// <summary>
    /// Makes a property the index's PARTITION KEY, for example <c>d =&gt; d.TenantId</c> (see
    /// <see cref="DiskAnnIndexBuilder.HasPartitionKey(string)" />).
    /// </summary>
    /// <param name="propertyExpression">A lambda returning the property.</param>
    public virtual DiskAnnIndexBuilder<TEntity> HasPartitionKey(Expression<Func<TEntity, object?>> propertyExpression)
    {
        ArgumentNullException.ThrowIfNull(propertyExpression);
        return HasPartitionKey(propertyExpression.GetMemberAccess().Name);
    }

    /// <inheritdoc cref="DiskAnnIndexBuilder.IncludeProperties(string[])" />
    public new virtual DiskAnnIndexBuilder<TEntity> IncludeProperties(params string[] propertyNames)
        => (DiskAnnIndexBuilder<TEntity>)base.IncludeProperties(propertyNames);

    /// <inheritdoc cref="DiskAnnIndexBuilder.HasPartitionKey(string)" />
    public new virtual DiskAnnIndexBuilder<TEntity> HasPartitionKey(string propertyName)
        => (DiskAnnIndexBuilder<TEntity>)base.HasPartitionKey(propertyName);

    /// <inheritdoc cref="DiskAnnIndexBuilder.HasMetric" />
    public new virtual DiskAnnIndexBuilder<TEntity> HasMetric(DiskAnnMetric metric)
        => (DiskAnnIndexBuilder<TEntity>)base.HasMetric(metric);

    /// <inheritdoc cref="DiskAnnIndexBuilder.HasMaxDegree" />
    public new virtual DiskAnnIndexBuilder<TEntity> HasMaxDegree(int maxDegree)
        => (DiskAnnIndexBuilder<TEntity>)base.HasMaxDegree(maxDegree);

    /// <inheritdoc cref="DiskAnnIndexBuilder.HasBuildSearchListSize" />
    public new virtual DiskAnnIndexBuilder<TEntity> HasBuildSearchListSize(int buildSearchListSize)
        => (DiskAnnIndexBuilder<TEntity>)base.HasBuildSearchListSize(buildSearchListSize);

    /// <inheritdoc cref="DiskAnnIndexBuilder.HasAlpha" />
    public new virtual DiskAnnIndexBuilder<TEntity> HasAlpha(double alpha)
        => (DiskAnnIndexBuilder<TEntity>)base.HasAlpha(alpha);

    /// <inheritdoc cref="DiskAnnIndexBuilder.HasSearchListSize" />
    public new virtual DiskAnnIndexBuilder<TEntity> HasSearchListSize(int searchListSize)
        => (DiskAnnIndexBuilder<TEntity>)base.HasSearchListSize(searchListSize);

    /// <inheritdoc cref="DiskAnnIndexBuilder.HasQuantization" />
    public new virtual DiskAnnIndexBuilder<TEntity> HasQuantization(DiskAnnQuantization quantization)
        => (DiskAnnIndexBuilder<TEntity>)base.HasQuantization(quantization);

    /// <inheritdoc cref="DiskAnnIndexBuilder.HasCacheSize" />
    public new virtual DiskAnnIndexBuilder<TEntity> HasCacheSize(int megabytes)
        => (DiskAnnIndexBuilder<TEntity>)base.HasCacheSize(megabytes);

    /// <inheritdoc cref="DiskAnnIndexBuilder.HasDatabaseName" />
    public new virtual DiskAnnIndexBuilder<TEntity> HasDatabaseName(string name)
        => (DiskAnnIndexBuilder<TEntity>)base.HasDatabaseName(name);
}
