using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Sqlite.Query.Internal;
using Microsoft.EntityFrameworkCore.Storage;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>SQLite's SQL generator, plus <see cref="DiskAnnKnnExpression" />.</summary>
public class DiskAnnQuerySqlGenerator : SqliteQuerySqlGenerator
{
    private readonly RelationalCommandBuilderDependencies _commandDependencies;
    private bool _generatedKnn;

    /// <summary>Creates the generator.</summary>
    public DiskAnnQuerySqlGenerator(QuerySqlGeneratorDependencies dependencies, RelationalCommandBuilderDependencies commandDependencies)
        : base(dependencies)
        => _commandDependencies = commandDependencies;

    /// <summary>
    /// The command for <paramref name="queryExpression" />; a KNN query's command is a <see cref="DiskAnnRelationalCommand" />
    /// whose statement is kept prepared on the connection.
    /// </summary>
    public override IRelationalCommand GetCommand(Expression queryExpression)
    {
        _generatedKnn = false;
        var command = base.GetCommand(queryExpression);
        return _generatedKnn
            ? new DiskAnnRelationalCommand(_commandDependencies, command.CommandText, command.LogCommandText, command.Parameters, reusesStatement: true)
            : command;
    }

    /// <inheritdoc />
    protected override Expression VisitExtension(Expression extensionExpression)
    {
        if (extensionExpression is DiskAnnKnnExpression knn)
        {
            GenerateKnn(knn);
            return knn;
        }

        return base.VisitExtension(extensionExpression);
    }

    /// <summary>
    /// Writes a KNN query's LIMIT parameter as <c>LIMIT +@p</c>. SQLite reads the value bound to a bare <c>LIMIT @p</c>
    /// while it prepares the statement, so binding the next query's value makes it prepare the whole statement again;
    /// the unary plus keeps the parameter a run-time value and the prepared statement reusable.
    /// </summary>
    protected override void GenerateLimitOffset(SelectExpression selectExpression)
    {
        if (selectExpression.Limit is SqlParameterExpression limit && selectExpression.Tables.Any(t => t is DiskAnnKnnExpression))
        {
            Sql.AppendLine().Append("LIMIT +");
            Visit(limit);
            if (selectExpression.Offset is not null)
            {
                Sql.Append(" OFFSET ");
                Visit(selectExpression.Offset);
            }

            return;
        }

        base.GenerateLimitOffset(selectExpression);
    }

    /// <summary>
    /// Writes <c>(SELECT rowid AS "key", distance FROM "index" WHERE vector MATCH @q AND k = @k [AND rowid IN (...)]) AS "alias"</c>.
    /// </summary>
    protected virtual void GenerateKnn(DiskAnnKnnExpression knn)
    {
        _generatedKnn = true;
        var helper = Dependencies.SqlGenerationHelper;
        Sql.AppendLine("(");
        using (Sql.Indent())
        {
            Sql.Append("SELECT rowid AS ").Append(helper.DelimitIdentifier(DiskAnnKnnExpression.KeyColumnName))
                .Append(", ").Append(DiskAnnKnnExpression.DistanceColumnName).AppendLine()
                .Append("FROM ").Append(helper.DelimitIdentifier(knn.IndexTable)).AppendLine()
                .Append("WHERE vector MATCH ");
            Visit(knn.QueryVector);
            Sql.Append(" AND k = ");
            Visit(knn.K);
            if (knn.Filter is not null)
            {
                Sql.AppendLine(" AND rowid IN (");
                using (Sql.Indent())
                {
                    Visit(knn.Filter);
                }

                Sql.AppendLine().Append(")");
            }
        }

        Sql.AppendLine().Append(")").Append(AliasSeparator).Append(helper.DelimitIdentifier(knn.Alias));
    }
}
