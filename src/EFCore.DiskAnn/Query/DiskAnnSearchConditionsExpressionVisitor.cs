using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>
/// Splits the filter of each <see cref="DiskAnnKnnExpression" /> whose index has filter columns: the conjuncts of its
/// WHERE that compare one of those columns of the entity's own table with a value become conditions on the index's
/// column (<see cref="DiskAnnKnnExpression.Conditions" />), which the module evaluates inside the search; the others stay
/// in the <c>rowid IN (SELECT ...)</c> subquery. It runs once EF Core has applied null semantics (and expanded parameter
/// lists), so that each condition means in SQL what the LINQ predicate means in C#:
/// <list type="bullet">
/// <item><c>col = v</c>, <c>col &lt;&gt; v</c>, <c>col &lt; v</c>, <c>col &lt;= v</c>, <c>col &gt; v</c>, <c>col &gt;= v</c> with a
/// constant or parameter <c>v</c>, also a decimal's <c>ef_compare(col, v) op 0</c>;</item>
/// <item><c>(col &lt;&gt; v OR col IS NULL)</c>, C#'s <c>!=</c> on a nullable column, as <c>col IS NOT v</c>;</item>
/// <item><c>col IN (v1, v2, ...)</c> (a list's <c>Contains</c> without a null in it), <c>col IS NULL</c>, <c>col IS NOT NULL</c>;</item>
/// <item>a boolean column <c>col</c> as <c>col = 1</c>, <c>NOT col</c> as <c>col = 0</c>.</item>
/// </list>
/// Anything else (OR, NOT IN, LIKE, functions, other tables, an enclosing query's columns) stays in the subquery.
/// </summary>
public class DiskAnnSearchConditionsExpressionVisitor : ExpressionVisitor
{
    private const string DecimalCompareFunction = "ef_compare";

    private readonly ISqlExpressionFactory _sqlExpressionFactory;

    /// <summary>Creates the visitor.</summary>
    public DiskAnnSearchConditionsExpressionVisitor(ISqlExpressionFactory sqlExpressionFactory)
        => _sqlExpressionFactory = sqlExpressionFactory;

    /// <inheritdoc />
    protected override Expression VisitExtension(Expression node)
    {
        var visited = base.VisitExtension(node);
        return visited is DiskAnnKnnExpression knn ? Split(knn) : visited;
    }

    /// <summary>The search with its filter's conjuncts on index columns as conditions, or itself when there are none.</summary>
    protected virtual DiskAnnKnnExpression Split(DiskAnnKnnExpression knn)
    {
        if (knn is not { IndexColumns: { } columns, Filter: { Predicate: { } predicate, Tables: [TableExpression { Alias: { } alias }, ..] } filter, Conditions.Count: 0 })
        {
            return knn;
        }

        var target = new Target(alias, columns);
        var conditions = new List<SqlExpression>();
        var rest = new List<SqlExpression>();
        foreach (var conjunct in Conjuncts(predicate))
        {
            if (Condition(conjunct, target) is { } condition)
            {
                conditions.Add(condition);
            }
            else
            {
                rest.Add(conjunct);
            }
        }

        if (conditions.Count == 0)
        {
            return knn;
        }

        // Joins that can remove rows keep the subquery even when the whole WHERE became conditions.
        var remaining = rest.Count == 0 && filter.Tables.Count == 1
            ? null
            : filter.Update(
                filter.Tables,
                rest.Count == 0 ? null : rest.Aggregate(_sqlExpressionFactory.AndAlso),
                filter.GroupBy,
                filter.Having,
                filter.Projection,
                filter.Orderings,
                filter.Offset,
                filter.Limit);
        return knn.WithConditions(conditions, remaining);
    }

    /// <summary>The operands of the AND chain <paramref name="predicate" /> is (itself when it is no AND), left to right.</summary>
    internal static IEnumerable<SqlExpression> Conjuncts(SqlExpression predicate)
        => predicate is SqlBinaryExpression { OperatorType: ExpressionType.AndAlso } and
            ? Conjuncts(and.Left).Concat(Conjuncts(and.Right))
            : [predicate];

    /// <summary>The condition on the index's columns that means what <paramref name="conjunct" /> does, or null.</summary>
    private SqlExpression? Condition(SqlExpression conjunct, Target target)
    {
        switch (conjunct)
        {
            case SqlBinaryExpression { OperatorType: var op, Left: var left, Right: var right } binary when IsComparison(op):
                if ((target.Reads(left) && IsValue(right)) || (IsValue(left) && target.Reads(right)))
                {
                    return (SqlExpression)target.Visit(binary);
                }

                // A decimal comparison: ef_compare(col, v) op 0 (the index holds decimals as REAL).
                if (left is SqlFunctionExpression { Name: DecimalCompareFunction, Instance: null, Arguments: [var compared, var value] }
                    && right is SqlConstantExpression { Value: 0 }
                    && target.Reads(compared)
                    && IsValue(value))
                {
                    return _sqlExpressionFactory.MakeBinary(op, (SqlExpression)target.Visit(compared), value, binary.TypeMapping);
                }

                return null;

            // C#'s != on a nullable column: (col <> v OR col IS NULL) is col IS NOT v.
            case SqlBinaryExpression { OperatorType: ExpressionType.OrElse, Left: var left, Right: var right } or:
                return IsNotCondition(left, right, target, or) ?? IsNotCondition(right, left, target, or);

            case SqlUnaryExpression { OperatorType: ExpressionType.Equal or ExpressionType.NotEqual, Operand: var operand } when target.Reads(operand):
                return (SqlExpression)target.Visit(conjunct);

            case InExpression { Subquery: null, ValuesParameter: null, Values: { } values, Item: var item } when target.Reads(item) && values.All(IsValue):
                return (SqlExpression)target.Visit(conjunct);

            case ColumnExpression column when column.Type == typeof(bool) && target.Reads(column):
                return _sqlExpressionFactory.Equal((SqlExpression)target.Visit(column), _sqlExpressionFactory.Constant(true, column.TypeMapping));

            case SqlUnaryExpression { OperatorType: ExpressionType.Not, Operand: ColumnExpression column } when column.Type == typeof(bool) && target.Reads(column):
                return _sqlExpressionFactory.Equal((SqlExpression)target.Visit(column), _sqlExpressionFactory.Constant(false, column.TypeMapping));

            default:
                return null;
        }
    }

    private static SqlExpression? IsNotCondition(SqlExpression notEqual, SqlExpression isNull, Target target, SqlBinaryExpression or)
        => notEqual is SqlBinaryExpression { OperatorType: ExpressionType.NotEqual, Left: var left, Right: var right }
            && isNull is SqlUnaryExpression { OperatorType: ExpressionType.Equal, Operand: ColumnExpression nullColumn }
            && (target.Reads(left) ? (left, right) : (right, left)) is (ColumnExpression column, var value)
            && target.Reads(column)
            && IsValue(value)
            && column.Equals(nullColumn)
                ? new DiskAnnIsExpression((SqlExpression)target.Visit(column), value, negated: true, or.TypeMapping)
                : null;

    private static bool IsComparison(ExpressionType op)
        => op is ExpressionType.Equal or ExpressionType.NotEqual or ExpressionType.LessThan or ExpressionType.LessThanOrEqual
            or ExpressionType.GreaterThan or ExpressionType.GreaterThanOrEqual;

    private static bool IsValue(SqlExpression expression) => expression is SqlConstantExpression or SqlParameterExpression;

    /// <summary>The entity table's columns that are index columns, and their reading from the index instead.</summary>
    private sealed class Target(string tableAlias, DiskAnnIndexColumns columns) : ExpressionVisitor
    {
        public bool Reads(SqlExpression expression)
            => expression is ColumnExpression column && column.TableAlias == tableAlias && columns.Names.Contains(column.Name);

        protected override Expression VisitExtension(Expression node)
            => node is ColumnExpression column && Reads(column)
                ? new ColumnExpression(column.Name, columns.Alias, column.Type, column.TypeMapping, column.IsNullable)
                : base.VisitExtension(node);
    }
}
