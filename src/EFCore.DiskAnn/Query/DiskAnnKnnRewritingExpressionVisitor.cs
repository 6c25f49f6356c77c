using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>
/// Rewrites each SELECT of the shape
/// <code>SELECT ... FROM "Docs" AS "d" [WHERE p] ORDER BY vector_distance_m("d"."E", @q), ... LIMIT @n [OFFSET @o]</code>
/// where "E" has a <c>diskann</c> index of metric m and "Docs" a single integer key, into
/// <code>
/// SELECT ... FROM (SELECT rowid AS "key", distance FROM "IX" WHERE vector MATCH @q AND k = @o + @n
///                  [AND rowid IN (SELECT "d0"."Id" FROM "Docs" AS "d0" WHERE p')]) AS "k"
/// CROSS JOIN "Docs" AS "d" WHERE "d"."Id" = "k"."key" ORDER BY "k"."distance", ... LIMIT @n [OFFSET @o]
/// </code>
/// Every occurrence of the distance (projection, orderings) reads the index's distance column instead. Queries of any
/// other shape keep the exact scalar function.
/// </summary>
public class DiskAnnKnnRewritingExpressionVisitor : ExpressionVisitor
{
    private const string DistanceFunctionPrefix = "vector_distance_";

    private readonly ISqlExpressionFactory _sqlExpressionFactory;
    private readonly SqlAliasManager _sqlAliasManager;
    private readonly HashSet<string> _usedAliases = new(StringComparer.Ordinal);

    /// <summary>Creates the visitor.</summary>
    public DiskAnnKnnRewritingExpressionVisitor(ISqlExpressionFactory sqlExpressionFactory, SqlAliasManager sqlAliasManager)
    {
        _sqlExpressionFactory = sqlExpressionFactory;
        _sqlAliasManager = sqlAliasManager;
    }

    /// <summary>Rewrites every eligible SELECT of the query (including split-query and subquery SELECTs).</summary>
    public virtual Expression Rewrite(Expression query)
    {
        _usedAliases.Clear();
        new AliasCollector(_usedAliases).Visit(query);
        return Visit(query);
    }

    /// <inheritdoc />
    protected override Expression VisitExtension(Expression node)
    {
        switch (node)
        {
            case ShapedQueryExpression shapedQuery:
                return shapedQuery.Update(Visit(shapedQuery.QueryExpression), Visit(shapedQuery.ShaperExpression));

            case SelectExpression select:
            {
                var visited = (SelectExpression)base.VisitExtension(select);
                return TryRewrite(visited) ?? visited;
            }

            default:
                return base.VisitExtension(node);
        }
    }

    /// <summary>The KNN form of <paramref name="select" />, or <see langword="null" /> when it does not have the shape.</summary>
    protected virtual SelectExpression? TryRewrite(SelectExpression select)
    {
        if (select.Limit is null
            || select.IsDistinct
            || select.GroupBy.Count > 0
            || select.Having is not null
            || select.Orderings.Count == 0
            || select.Tables.Count == 0
            || select.Orderings[0] is not { IsAscending: true, Expression: SqlFunctionExpression { Arguments: [var first, var second] } distance }
            || !distance.Name.StartsWith(DistanceFunctionPrefix, StringComparison.Ordinal)
            || distance.Instance is not null)
        {
            return null;
        }

        var (column, queryVector) = first is ColumnExpression c1 && IsQueryValue(second)
            ? (c1, second)
            : second is ColumnExpression c2 && IsQueryValue(first)
                ? (c2, first)
                : (null, null);
        if (column is null
            || queryVector is null
            || select.Tables[0] is not TableExpression { Table: ITable table } tableExpression
            || tableExpression.Alias != column.TableAlias
            || table.FindColumn(column.Name) is not { } storeColumn
            || table.PrimaryKey is not { Columns: [var keyColumn] })
        {
            return null;
        }

        var index = table.Indexes.FirstOrDefault(
            i => i.Columns.Count == 1 && i.Columns[0] == storeColumn && i.GetDiskAnnOptions() is not null);
        if (index?.GetDiskAnnOptions() is not { } options
            || DiskAnnIndexOptions.DistanceFunctionName(options.Metric) != distance.Name)
        {
            return null;
        }

        // A WHERE on the entity's own table moves into the search as "rowid IN (SELECT key FROM table WHERE ...)", so
        // that k rows come back whenever k rows match. A WHERE that also reads joined tables cannot: keep the exact plan.
        var outerAliases = select.Tables.Skip(1).Select(t => (t as JoinExpressionBase)?.Table.Alias ?? t.Alias)
            .OfType<string>().ToHashSet(StringComparer.Ordinal);
        if (select.Predicate is not null && ColumnAliases(select.Predicate).Overlaps(outerAliases))
        {
            return null;
        }

        var keyMapping = keyColumn.StoreTypeMapping;
        var keyType = keyColumn.ProviderClrType;
        SelectExpression? filter = null;
        if (select.Predicate is not null)
        {
            var filterAlias = NewAlias(tableExpression.Alias);
            var filterPredicate = (SqlExpression)new AliasReplacingExpressionVisitor(tableExpression.Alias, filterAlias)
                .Visit(select.Predicate);
            filter = new SelectExpression(
                alias: null,
                tables: [tableExpression.WithAlias(filterAlias)],
                predicate: filterPredicate,
                groupBy: [],
                having: null,
                projections: [new ProjectionExpression(new ColumnExpression(keyColumn.Name, filterAlias, keyType, keyMapping, nullable: false), keyColumn.Name)],
                distinct: false,
                orderings: [],
                offset: null,
                limit: null,
                sqlAliasManager: _sqlAliasManager);
        }

        var knnAlias = NewAlias("k");
        var k = select.Offset is null ? select.Limit : _sqlExpressionFactory.Add(select.Offset, select.Limit);
        var knn = new DiskAnnKnnExpression(knnAlias, index.Name, queryVector, k, filter);

        var join = _sqlExpressionFactory.Equal(
            new ColumnExpression(keyColumn.Name, tableExpression.Alias, keyType, keyMapping, nullable: false),
            new ColumnExpression(DiskAnnKnnExpression.KeyColumnName, knnAlias, keyType, keyMapping, nullable: false));

        var distanceColumn = new ColumnExpression(
            DiskAnnKnnExpression.DistanceColumnName, knnAlias, distance.Type, distance.TypeMapping, nullable: false);
        var replacer = new DistanceReplacingExpressionVisitor(distance, distanceColumn);

        // "CROSS JOIN" keeps SQLite from reordering the join: the search runs once, then each hit is looked up by key.
        List<TableExpressionBase> tables = [knn, new CrossJoinExpression(tableExpression), .. select.Tables.Skip(1)];
        var projections = select.Projection.Select(p => (ProjectionExpression)replacer.Visit(p)!).ToList();
        var orderings = select.Orderings.Select(o => (OrderingExpression)replacer.Visit(o)!).ToList();

        return select.Update(tables, join, select.GroupBy, select.Having, projections, orderings, select.Offset, select.Limit);
    }

    private static bool IsQueryValue(SqlExpression expression)
        => expression is SqlParameterExpression or SqlConstantExpression;

    private string NewAlias(string baseAlias)
    {
        var start = string.IsNullOrEmpty(baseAlias) ? "k" : baseAlias[..1];
        if (_usedAliases.Add(start))
        {
            return start;
        }

        for (var i = 0; ; i++)
        {
            var candidate = start + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (_usedAliases.Add(candidate))
            {
                return candidate;
            }
        }
    }

    private static HashSet<string> ColumnAliases(Expression expression)
    {
        var aliases = new HashSet<string>(StringComparer.Ordinal);
        new ColumnAliasCollector(aliases).Visit(expression);
        return aliases;
    }

    private sealed class AliasCollector(HashSet<string> aliases) : ExpressionVisitor
    {
        protected override Expression VisitExtension(Expression node)
        {
            if (node is ShapedQueryExpression shapedQuery)
            {
                Visit(shapedQuery.QueryExpression);
                Visit(shapedQuery.ShaperExpression);
                return node;
            }

            if (node is TableExpressionBase { Alias: { } alias })
            {
                aliases.Add(alias);
            }

            return base.VisitExtension(node);
        }
    }

    private sealed class ColumnAliasCollector(HashSet<string> aliases) : ExpressionVisitor
    {
        protected override Expression VisitExtension(Expression node)
        {
            if (node is ColumnExpression column)
            {
                aliases.Add(column.TableAlias);
                return node;
            }

            return base.VisitExtension(node);
        }
    }

    private sealed class AliasReplacingExpressionVisitor(string oldAlias, string newAlias) : ExpressionVisitor
    {
        protected override Expression VisitExtension(Expression node)
            => node is ColumnExpression column && column.TableAlias == oldAlias
                ? new ColumnExpression(column.Name, newAlias, column.Type, column.TypeMapping, column.IsNullable)
                : base.VisitExtension(node);
    }

    private sealed class DistanceReplacingExpressionVisitor(SqlExpression distance, SqlExpression replacement) : ExpressionVisitor
    {
        public override Expression? Visit(Expression? node)
            => node is SqlExpression sql && sql.Equals(distance) ? replacement : base.Visit(node);
    }
}
