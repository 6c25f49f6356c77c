using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Sqlite.Query.Internal;
using Microsoft.EntityFrameworkCore.Storage;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>SQLite's SQL generator, plus <see cref="DiskAnnKnnExpression" />.</summary>
public class DiskAnnQuerySqlGenerator : SqliteQuerySqlGenerator
{
    private const string DistanceFunctionPrefix = "vector_distance_";

    private readonly RelationalCommandBuilderDependencies _commandDependencies;
    private readonly List<SqlExpression> _knnLimits = [];
    private readonly HashSet<string> _knnAliases = new(StringComparer.Ordinal);
    private bool _generatedKnn;

    // Writing the exact form of every search (a scan of the entity table), for a k above the module's ceiling.
    private bool _exact;

    // The SELECT whose orderings are being written.
    private SelectExpression? _orderingSelect;

    /// <summary>Creates the generator.</summary>
    public DiskAnnQuerySqlGenerator(QuerySqlGeneratorDependencies dependencies, RelationalCommandBuilderDependencies commandDependencies)
        : base(dependencies)
        => _commandDependencies = commandDependencies;

    /// <summary>
    /// The command for <paramref name="queryExpression" />; a KNN query's command is a <see cref="DiskAnnRelationalCommand" />
    /// whose statement is kept prepared on the connection, and which carries the same query with each search written as an
    /// exact scan: it runs instead when the values bound make a k larger than the module's
    /// <see cref="Metadata.DiskAnnIndexOptions.MaxK" />.
    /// </summary>
    public override IRelationalCommand GetCommand(Expression queryExpression)
    {
        _generatedKnn = false;
        _knnLimits.Clear();
        _knnAliases.Clear();
        var command = base.GetCommand(queryExpression);
        if (!_generatedKnn || _exact)
        {
            return command;
        }

        // A generator of its own: the base generator keeps state between commands.
        var limits = _knnLimits.ToList();
        var exact = new DiskAnnQuerySqlGenerator(Dependencies, _commandDependencies) { _exact = true }.GetCommand(queryExpression);
        return new DiskAnnRelationalCommand(
            _commandDependencies,
            command.CommandText,
            command.LogCommandText,
            command.Parameters,
            reusesStatement: true,
            new DiskAnnExactFallback(exact, limits));
    }

    /// <summary>
    /// Writes an ascending ordering by an exact distance with <c>NULLS LAST</c>: a row without a vector (or whose distance
    /// is not a number) ranks after every real distance, as it never appears in the index's results. (SQLite sorts NULL
    /// first in ascending order.) The index's own distance column is left alone, so the search still returns rows in order.
    /// </summary>
    protected override Expression VisitOrdering(OrderingExpression orderingExpression)
    {
        var result = base.VisitOrdering(orderingExpression);
        if (orderingExpression.IsAscending && IsExactDistance(orderingExpression.Expression, _orderingSelect))
        {
            Sql.Append(" NULLS LAST");
        }

        return result;
    }

    /// <inheritdoc />
    protected override void GenerateOrderings(SelectExpression selectExpression)
    {
        var outer = _orderingSelect;
        _orderingSelect = selectExpression;
        try
        {
            base.GenerateOrderings(selectExpression);
        }
        finally
        {
            _orderingSelect = outer;
        }
    }

    /// <summary>
    /// Whether <paramref name="expression" /> is an exact distance: the function, or a column of a subquery of
    /// <paramref name="select" /> that projects one (a <c>Distinct</c> or a projection before the ordering); in the exact
    /// form of a KNN query, also the search's distance column.
    /// </summary>
    private bool IsExactDistance(SqlExpression expression, SelectExpression? select)
    {
        switch (expression)
        {
            case SqlFunctionExpression { Instance: null } function:
                return function.Name.StartsWith(DistanceFunctionPrefix, StringComparison.Ordinal);

            case ColumnExpression column:
                if (_exact && column.Name == DiskAnnKnnExpression.DistanceColumnName && _knnAliases.Contains(column.TableAlias))
                {
                    return true;
                }

                foreach (var table in select?.Tables ?? [])
                {
                    if ((table is JoinExpressionBase join ? join.Table : table) is SelectExpression subquery
                        && subquery.Alias == column.TableAlias)
                    {
                        var projection = subquery.Projection.FirstOrDefault(p => p.Alias == column.Name);
                        return projection is not null && IsExactDistance(projection.Expression, subquery);
                    }
                }

                return false;

            default:
                return false;
        }
    }

    /// <summary>
    /// Writes an exact distance with its two vectors: the third argument of <c>VectorDistance(a, b, searchListSize: n)</c>
    /// is for the index's search only.
    /// </summary>
    protected override Expression VisitSqlFunction(SqlFunctionExpression sqlFunctionExpression)
    {
        if (sqlFunctionExpression is { Instance: null, Arguments: [var first, var second, _, ..] } function
            && function.Name.StartsWith(DistanceFunctionPrefix, StringComparison.Ordinal))
        {
            base.VisitSqlFunction(new SqlFunctionExpression(
                function.Name, [first, second], function.IsNullable, [true, true], function.Type, function.TypeMapping));
            return sqlFunctionExpression;
        }

        return base.VisitSqlFunction(sqlFunctionExpression);
    }

    /// <inheritdoc />
    protected override Expression VisitExtension(Expression extensionExpression)
    {
        if (extensionExpression is DiskAnnKnnExpression knn)
        {
            GenerateKnn(knn);
            return knn;
        }

        if (extensionExpression is DiskAnnIsExpression isExpression)
        {
            Visit(isExpression.Left);
            Sql.Append(isExpression.IsNegated ? " IS NOT " : " IS ");
            Visit(isExpression.Right);
            return isExpression;
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
    /// Writes <c>(SELECT rowid AS "key", distance FROM "index" WHERE vector MATCH @q AND k = @k [AND rowid IN (...)]) AS "alias"</c>;
    /// with conditions on the index's filter columns, <c>FROM "index" AS "i" WHERE vector MATCH @q AND k = @k AND "i"."Lang" = 'en' ...</c>;
    /// with a key map, the key is the map's for the rowid and the filter's keys are mapped to rowids (see <see cref="DiskAnnKnnExpression" />).
    /// </summary>
    protected virtual void GenerateKnn(DiskAnnKnnExpression knn)
    {
        _generatedKnn = true;
        _knnLimits.Add(knn.K);
        _knnAliases.Add(knn.Alias);
        if (_exact && knn.ExactScan is { } scan)
        {
            GenerateExactKnn(knn, scan);
            return;
        }

        var helper = Dependencies.SqlGenerationHelper;
        var indexAlias = knn.Conditions.Count > 0 && knn.IndexColumns is { } indexColumns ? indexColumns.Alias : null;

        // The key map's table and columns, qualified: the filter's tables may have columns named "id" or "key" too.
        var map = knn.KeyMap is { } keyMap ? helper.DelimitIdentifier(keyMap) : null;
        var mapId = $"{map}.{helper.DelimitIdentifier(Migrations.DiskAnnSchemaSql.KeyMapIdColumn)}";
        var mapKey = $"{map}.{helper.DelimitIdentifier(Migrations.DiskAnnSchemaSql.KeyMapKeyColumn)}";
        Sql.AppendLine("(");
        using (Sql.Indent())
        {
            Sql.Append("SELECT ");
            if (map is not null)
            {
                // The key the map gives the rowid: one lookup of the map's INTEGER PRIMARY KEY per hit.
                Sql.Append($"(SELECT {mapKey} FROM {map} WHERE {mapId} = {helper.DelimitIdentifier(indexAlias ?? knn.IndexTable)}.rowid)");
            }
            else
            {
                Sql.Append("rowid");
            }

            Sql.Append(" AS ").Append(helper.DelimitIdentifier(DiskAnnKnnExpression.KeyColumnName))
                .Append(", ").Append(DiskAnnKnnExpression.DistanceColumnName).AppendLine()
                .Append("FROM ").Append(helper.DelimitIdentifier(knn.IndexTable));
            if (indexAlias is not null)
            {
                Sql.Append(AliasSeparator).Append(helper.DelimitIdentifier(indexAlias));
            }

            Sql.AppendLine().Append("WHERE vector MATCH ");
            Visit(knn.QueryVector);
            Sql.Append(" AND k = ");
            Visit(knn.K);
            if (knn.SearchListSize is { } searchListSize)
            {
                Sql.Append(" AND search_list_size = ");
                Visit(searchListSize);
            }

            if (knn.Threshold is { } threshold)
            {
                Sql.Append(threshold.Inclusive ? " AND distance <= " : " AND distance < ");
                Visit(threshold.Value);
            }

            foreach (var condition in knn.Conditions)
            {
                Sql.Append(" AND ");
                Visit(condition);
            }

            if (knn.SearchFilter is { } filter)
            {
                Sql.AppendLine(" AND rowid IN (");
                using (Sql.Indent())
                {
                    if (map is not null)
                    {
                        // The filter's keys, mapped to the index's rowids.
                        Sql.AppendLine($"SELECT {mapId} FROM {map} WHERE {mapKey} IN (");
                        using (Sql.Indent())
                        {
                            Visit(filter);
                        }

                        Sql.AppendLine().Append(")");
                    }
                    else
                    {
                        Visit(filter);
                    }
                }

                Sql.AppendLine().Append(")");
            }
        }

        Sql.AppendLine().Append(")").Append(AliasSeparator).Append(helper.DelimitIdentifier(knn.Alias));
    }

    /// <summary>
    /// Writes the exact form of a search, with the same two columns:
    /// <c>(SELECT "Id" AS "key", vector_distance_m("E", @q) AS distance FROM "Docs" WHERE "E" IS NOT NULL [AND "Id" IN (...)]
    /// ORDER BY distance NULLS LAST LIMIT @k) AS "alias"</c>: the rows an index with every row would return.
    /// </summary>
    protected virtual void GenerateExactKnn(DiskAnnKnnExpression knn, DiskAnnExactScan scan)
    {
        var helper = Dependencies.SqlGenerationHelper;
        var key = helper.DelimitIdentifier(scan.KeyColumn);
        var vector = helper.DelimitIdentifier(scan.VectorColumn);
        Sql.AppendLine("(");
        using (Sql.Indent())
        {
            Sql.Append("SELECT ").Append(key).Append(" AS ").Append(helper.DelimitIdentifier(DiskAnnKnnExpression.KeyColumnName))
                .Append(", ").Append(scan.DistanceFunction).Append("(").Append(vector).Append(", ");
            Visit(knn.QueryVector);
            Sql.Append(") AS ").Append(DiskAnnKnnExpression.DistanceColumnName).AppendLine()
                .Append("FROM ").Append(helper.DelimitIdentifier(scan.Table, scan.Schema)).AppendLine()
                .Append("WHERE ").Append(vector).Append(" IS NOT NULL");
            if (knn.Threshold is { } threshold)
            {
                Sql.Append(" AND ").Append(scan.DistanceFunction).Append("(").Append(vector).Append(", ");
                Visit(knn.QueryVector);
                Sql.Append(threshold.Inclusive ? ") <= " : ") < ");
                Visit(threshold.Value);
            }

            if (knn.Filter is not null)
            {
                Sql.Append(" AND ").Append(key).AppendLine(" IN (");
                using (Sql.Indent())
                {
                    Visit(knn.Filter);
                }

                Sql.AppendLine().Append(")");
            }

            Sql.AppendLine().Append("ORDER BY ").Append(DiskAnnKnnExpression.DistanceColumnName).AppendLine(" NULLS LAST")
                .Append("LIMIT ");
            Visit(knn.K);
        }

        Sql.AppendLine().Append(")").Append(AliasSeparator).Append(helper.DelimitIdentifier(knn.Alias));
    }
}
