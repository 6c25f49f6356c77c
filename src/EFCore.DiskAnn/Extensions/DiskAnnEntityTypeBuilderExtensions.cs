using System.Linq.Expressions;
using DiskAnn;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Migrations;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>Declares <c>diskann</c> vector indexes on entity types.</summary>
public static class DiskAnnEntityTypeBuilderExtensions
{
    /// <summary>
    /// Indexes a vector property (<c>float[]</c> or <c>ReadOnlyMemory&lt;float&gt;</c>, stored as a float32 BLOB) with a
    /// <c>diskann</c> virtual table that migrations and <c>EnsureCreated</c> create and triggers keep in step with the table.
    /// The entity needs a primary key of one property: an integer key is the rowid of the index; any other (Guid, string,
    /// a converted id) is mapped to one by a key map the triggers keep, invisibly in LINQ. The context must use the plugin
    /// (<c>UseSqlite(..., o =&gt; o.UseDiskAnn())</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The context does not use <c>UseDiskAnn()</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The dimension is outside 1 to 16000.</exception>
    /// <param name="entityTypeBuilder">The entity type.</param>
    /// <param name="propertyExpression">The vector property, for example <c>d =&gt; d.Embedding</c>.</param>
    /// <param name="dimension">The number of floats in each vector (1 to 16000).</param>
    public static DiskAnnIndexBuilder<TEntity> HasDiskAnnIndex<TEntity>(
        this EntityTypeBuilder<TEntity> entityTypeBuilder,
        Expression<Func<TEntity, object?>> propertyExpression,
        int dimension)
        where TEntity : class
    {
        ArgumentNullException.ThrowIfNull(entityTypeBuilder);
        ArgumentNullException.ThrowIfNull(propertyExpression);
        var indexBuilder = entityTypeBuilder.HasIndex(propertyExpression);
        Configure(indexBuilder, dimension);
        return new DiskAnnIndexBuilder<TEntity>(indexBuilder);
    }

    /// <summary>
    /// Indexes the vector property named <paramref name="propertyName" /> with a <c>diskann</c> virtual table.
    /// </summary>
    /// <exception cref="InvalidOperationException">The context does not use <c>UseDiskAnn()</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The dimension is outside 1 to 16000.</exception>
    /// <param name="entityTypeBuilder">The entity type.</param>
    /// <param name="propertyName">The vector property.</param>
    /// <param name="dimension">The number of floats in each vector (1 to 16000).</param>
    public static DiskAnnIndexBuilder HasDiskAnnIndex(
        this EntityTypeBuilder entityTypeBuilder,
        string propertyName,
        int dimension)
    {
        ArgumentNullException.ThrowIfNull(entityTypeBuilder);
        ArgumentException.ThrowIfNullOrWhiteSpace(propertyName);
        var indexBuilder = entityTypeBuilder.HasIndex(propertyName);
        Configure(indexBuilder, dimension);
        return new DiskAnnIndexBuilder(indexBuilder);
    }

    private static void Configure(IndexBuilder indexBuilder, int dimension)
    {
        if (!DiskAnnIndexConvention.IsDiskAnnModel(indexBuilder.Metadata.DeclaringEntityType.Model))
        {
            var property = string.Join(", ", indexBuilder.Metadata.Properties.Select(p => p.Name));
            throw new InvalidOperationException(
                $"HasDiskAnnIndex on '{indexBuilder.Metadata.DeclaringEntityType.DisplayName()}.{property}' needs the diskann plugin, which this context does not use: "
                + "call UseDiskAnn() where the context is configured, for example optionsBuilder.UseSqlite(connectionString, o => o.UseDiskAnn()). "
                + "Without it, EnsureCreated and migrations would store the vector as JSON text under an ordinary index, and vector queries could not be translated.");
        }

        DiskAnnIndexOptions.CheckOption(DiskAnnOptionSpec.Dimension, dimension, nameof(dimension), "HasDiskAnnIndex(property, dimension)");
        indexBuilder.HasAnnotation(DiskAnnAnnotationNames.Dimension, dimension);
        indexBuilder.HasAnnotation(DiskAnnAnnotationNames.Triggers, DiskAnnSchemaSql.TriggerVersion);
        if (indexBuilder.Metadata.FindAnnotation(DiskAnnAnnotationNames.Metric) is null)
        {
            indexBuilder.HasAnnotation(DiskAnnAnnotationNames.Metric, "cosine");
        }
    }
}
