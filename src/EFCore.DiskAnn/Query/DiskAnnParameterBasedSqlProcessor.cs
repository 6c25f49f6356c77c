using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Sqlite.Query.Internal;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>
/// SQLite's parameter-based SQL processor (null semantics, parameter lists), then
/// <see cref="DiskAnnSearchConditionsExpressionVisitor" />: a KNN search's filter conjuncts on the index's filter columns
/// become conditions evaluated inside the search.
/// </summary>
public class DiskAnnParameterBasedSqlProcessor : SqliteParameterBasedSqlProcessor
{
    /// <summary>Creates the processor.</summary>
    public DiskAnnParameterBasedSqlProcessor(
        RelationalParameterBasedSqlProcessorDependencies dependencies,
        RelationalParameterBasedSqlProcessorParameters parameters)
        : base(dependencies, parameters)
    {
    }

    /// <inheritdoc />
    public override Expression Process(Expression queryExpression, ParametersCacheDecorator parametersDecorator)
        => new DiskAnnSearchConditionsExpressionVisitor(Dependencies.SqlExpressionFactory)
            .Visit(base.Process(queryExpression, parametersDecorator));
}

/// <summary>Creates <see cref="DiskAnnParameterBasedSqlProcessor" />s.</summary>
public class DiskAnnParameterBasedSqlProcessorFactory : IRelationalParameterBasedSqlProcessorFactory
{
    private readonly RelationalParameterBasedSqlProcessorDependencies _dependencies;

    /// <summary>Creates the factory.</summary>
    public DiskAnnParameterBasedSqlProcessorFactory(RelationalParameterBasedSqlProcessorDependencies dependencies)
        => _dependencies = dependencies;

    /// <inheritdoc />
    public virtual RelationalParameterBasedSqlProcessor Create(RelationalParameterBasedSqlProcessorParameters parameters)
        => new DiskAnnParameterBasedSqlProcessor(_dependencies, parameters);
}
