using System.Reflection;
using DiskAnn;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>
/// Translates <c>EF.Functions.VectorDistance</c> to the exact <c>vector_distance_{cosine|l2|dot}</c> function. The
/// KNN rewrite (<see cref="DiskAnnKnnRewritingExpressionVisitor" />) later replaces it by the index where it can.
/// </summary>
public class DiskAnnVectorDistanceTranslator : IMethodCallTranslator
{
    private readonly ISqlExpressionFactory _sqlExpressionFactory;
    private readonly IRelationalTypeMappingSource _typeMappingSource;

    /// <summary>Creates the translator.</summary>
    public DiskAnnVectorDistanceTranslator(ISqlExpressionFactory sqlExpressionFactory, IRelationalTypeMappingSource typeMappingSource)
    {
        _sqlExpressionFactory = sqlExpressionFactory;
        _typeMappingSource = typeMappingSource;
    }

    /// <inheritdoc />
    public virtual SqlExpression? Translate(
        SqlExpression? instance,
        MethodInfo method,
        IReadOnlyList<SqlExpression> arguments,
        IDiagnosticsLogger<DbLoggerCategory.Query> logger)
    {
        if (method.DeclaringType != typeof(DiskAnnDbFunctionsExtensions)
            || method.Name != nameof(DiskAnnDbFunctionsExtensions.VectorDistance))
        {
            return null;
        }

        var left = arguments[1];
        var right = arguments[2];
        var leftMapping = left.TypeMapping as DiskAnnVectorTypeMapping;
        var rightMapping = right.TypeMapping as DiskAnnVectorTypeMapping;
        var indexed = leftMapping?.Dimension is not null ? leftMapping : rightMapping?.Dimension is not null ? rightMapping : null;

        // The optional arguments by type: the metric (a DiskAnnMetric) and the search list size (an int).
        var parameters = method.GetParameters();
        var metricIndex = Array.FindIndex(parameters, p => p.ParameterType == typeof(DiskAnnMetric));
        var searchListSizeIndex = Array.FindIndex(parameters, p => p.ParameterType == typeof(int));
        DiskAnnMetric metric;
        if (metricIndex >= 0)
        {
            metric = arguments[metricIndex] is SqlConstantExpression { Value: DiskAnnMetric explicitMetric }
                ? explicitMetric
                : throw new InvalidOperationException("The metric of VectorDistance must be a constant DiskAnnMetric.");
        }
        else
        {
            metric = indexed?.Metric ?? DiskAnnMetric.Cosine;
        }

        left = ApplyVectorMapping(left, indexed);
        right = ApplyVectorMapping(right, indexed);

        // The search list size rides along as a third argument: the KNN rewrite moves it into the search, and the SQL
        // generator writes the exact function with the two vectors only.
        if (searchListSizeIndex >= 0)
        {
            var searchListSize = arguments[searchListSizeIndex];
            if (searchListSize is SqlConstantExpression { Value: int constant })
            {
                DiskAnnIndexOptions.CheckOption(DiskAnnOptionSpec.SearchListSize, constant, "searchListSize", "VectorDistance(..., searchListSize)");
            }

            return _sqlExpressionFactory.Function(
                DiskAnnIndexOptions.DistanceFunctionName(metric),
                [left, right, _sqlExpressionFactory.ApplyDefaultTypeMapping(searchListSize)],
                nullable: true,
                argumentsPropagateNullability: [true, true, false],
                typeof(double),
                _typeMappingSource.FindMapping(typeof(double)));
        }

        return _sqlExpressionFactory.Function(
            DiskAnnIndexOptions.DistanceFunctionName(metric),
            [left, right],
            nullable: true,
            argumentsPropagateNullability: [true, true],
            typeof(double),
            _typeMappingSource.FindMapping(typeof(double)));
    }

    private SqlExpression ApplyVectorMapping(SqlExpression argument, DiskAnnVectorTypeMapping? indexed)
    {
        if (argument is SqlConstantExpression { Value: { } value } && indexed?.Dimension is { } dimension)
        {
            var length = value switch
            {
                float[] array => array.Length,
                ReadOnlyMemory<float> memory => memory.Length,
                _ => dimension,
            };
            if (length != dimension)
            {
                throw new InvalidOperationException(
                    $"The query vector has {length} values, but the diskann index on this column has dimension {dimension}.");
            }
        }

        if (argument.TypeMapping is DiskAnnVectorTypeMapping)
        {
            return argument;
        }

        if (argument.TypeMapping is not null)
        {
            throw new InvalidOperationException(
                $"VectorDistance takes vectors (float[] or ReadOnlyMemory<float>), not a column stored as {argument.TypeMapping.StoreType}.");
        }

        var mapping = (DiskAnnVectorTypeMapping?)_typeMappingSource.FindMapping((Nullable.GetUnderlyingType(argument.Type) ?? argument.Type) == typeof(ReadOnlyMemory<float>)
                ? typeof(ReadOnlyMemory<float>)
                : typeof(float[]))
            ?? throw new InvalidOperationException("No vector type mapping: is UseDiskAnn() missing?");
        if (indexed is { Metric: { } metric, Dimension: { } d })
        {
            mapping = mapping.WithIndex(metric, d);
        }

        return _sqlExpressionFactory.ApplyTypeMapping(argument, mapping);
    }
}
