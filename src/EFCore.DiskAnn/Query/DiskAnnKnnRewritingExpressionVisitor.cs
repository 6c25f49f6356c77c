using System.Linq.Expressions;
using DiskAnn;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>
/// Rewrites each SELECT of the shape
/// <code>SELECT ... FROM "Docs" AS "d" [WHERE p] ORDER BY vector_distance_m("d"."E", @q), ... LIMIT @n [OFFSET @o]</code>
/// where "E" has a <c>diskann</c> index of metric m and "Docs" a single-column key, into
/// <code>
/// SELECT ... FROM (SELECT rowid AS "key", distance FROM "IX" WHERE vector MATCH @q AND k = @o + @n
///                  [AND rowid IN (SELECT "d0"."Id" FROM "Docs" AS "d0" WHERE p')]) AS "k"
/// CROSS JOIN "Docs" AS "d" WHERE "d"."Id" = "k"."key" ORDER BY "k"."distance", ... LIMIT +@n [OFFSET @o]
/// </code>
/// (<see cref="DiskAnnQuerySqlGenerator" /> writes the LIMIT parameter with a unary plus, which keeps the statement
/// reusable). A key that is not an integer reaches the index through its key map (<see cref="DiskAnnKnnExpression.KeyMap" />):
/// the search returns the key itself, so the rest of the query is the same.
/// A predicate that reads joined tables (navigations, explicit joins) takes those joins into the filter subquery, together
/// with every join that can remove rows, and also stays in the outer WHERE (a joined table can give an entity several
/// rows). Every occurrence of the distance (projection, orderings) reads the index's distance column instead, except for
/// a quantized (int8) index: it returns max(k, min(4k, <see cref="DiskAnnIndexOptions.MaxK" />)) candidates, which the exact function on the entity's own
/// column re-ranks (ORDER BY and projections keep it), so results and distances are exact float32. A query that reads
/// only the key and the distance of a float32 index drops the CROSS JOIN: <c>SELECT "k"."key" FROM (...) AS "k"</c>. Queries of
/// any other shape keep the exact scalar function. (A predicate may read an enclosing query's row: SQLite evaluates the
/// search again for each of its rows.)
/// </summary>
public class DiskAnnKnnRewritingExpressionVisitor : ExpressionVisitor
{
    private const string DistanceFunctionPrefix = "vector_distance_";

    // A quantized index returns this many times the rows asked for, up to the module's ceiling for k, to be re-ranked.
    private const int RerankFactor = 4;

    private readonly ISqlExpressionFactory _sqlExpressionFactory;
    private readonly SqlAliasManager _sqlAliasManager;
    private readonly IDiagnosticsLogger<DbLoggerCategory.Query>? _logger;
    private readonly int? _defaultSearchListSize;
    private readonly HashSet<string> _usedAliases = new(StringComparer.Ordinal);

    /// <summary>Creates the visitor.</summary>
    /// <param name="sqlExpressionFactory">The SQL expression factory.</param>
    /// <param name="sqlAliasManager">The query's alias manager.</param>
    /// <param name="logger">
    /// Where a query ordered by the distance on an indexed column that the index cannot answer is reported
    /// (<see cref="DiskAnnEventId.ExactScanFallback" />); <see langword="null" /> for nowhere.
    /// </param>
    /// <param name="defaultSearchListSize">
    /// The context's search list size (<c>UseDiskAnn(o =&gt; o.SearchListSize(n))</c>) for searches that do not give their
    /// own; <see langword="null" /> for the index's.
    /// </param>
    public DiskAnnKnnRewritingExpressionVisitor(
        ISqlExpressionFactory sqlExpressionFactory,
        SqlAliasManager sqlAliasManager,
        IDiagnosticsLogger<DbLoggerCategory.Query>? logger = null,
        int? defaultSearchListSize = null)
    {
        _sqlExpressionFactory = sqlExpressionFactory;
        _sqlAliasManager = sqlAliasManager;
        _logger = logger;
        _defaultSearchListSize = defaultSearchListSize;
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
                if (TryRewrite(visited) is { } rewritten)
                {
                    return rewritten;
                }

                if (TryMoveThreshold(visited) is { } moved)
                {
                    return moved;
                }

                if (_logger is not null && FallbackReason(visited) is { } reason)
                {
                    _logger.ExactScanFallback(reason);
                }

                return visited;
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
            || select.Orderings[0] is not { IsAscending: true, Expression: SqlFunctionExpression { Arguments: [var first, var second, ..] } distance }
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

        // The search must return the keys of exactly the rows that can produce a result row, so that k rows come back
        // whenever k rows match: the WHERE moves into the search as "rowid IN (SELECT key FROM table ... WHERE ...)",
        // with the joins it reads (navigations, explicit joins) and every join that can remove rows.
        if (select.Tables.Skip(1).Any(t => t is not JoinExpressionBase))
        {
            return null;
        }

        // A conjunct "distance < t" (or <=, or t > distance) on the ordering's distance becomes the search's threshold,
        // applied by the module to the k nearest: the same rows, as the threshold keeps a prefix of the ordering, without
        // the distance of every row computed in the filter. A quantized index's distances are approximate: its candidates
        // are re-ranked by the exact function, which then applies the threshold too (the conjunct stays outside).
        var rerank = options.Quantization != DiskAnnQuantization.None;
        var (threshold, thresholdConjunct, predicate) = SplitThreshold(select.Predicate, e => IsSameDistance(e, distance));
        if (rerank)
        {
            threshold = null;
        }

        var joins = select.Tables.Skip(1).Cast<JoinExpressionBase>().ToList();
        var joinAliases = joins.Select(j => j.Table.Alias).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var predicateAliases = predicate is null ? new HashSet<string>(StringComparer.Ordinal) : ColumnAliases(predicate);
        var filterJoins = FilterJoins(joins, predicateAliases);
        var keyMapping = keyColumn.StoreTypeMapping;
        var keyType = keyColumn.ProviderClrType;
        SelectExpression? filter = null;
        if (predicate is not null || filterJoins.Count > 0)
        {
            // The filter is a copy with fresh aliases, so that it is a query of its own inside the search.
            var renamer = new AliasRenamingExpressionVisitor(FreshAliases(tableExpression, filterJoins, predicate));
            filter = new SelectExpression(
                alias: null,
                tables: [(TableExpressionBase)renamer.Visit(tableExpression), .. filterJoins.Select(j => (TableExpressionBase)renamer.Visit(j))],
                predicate: (SqlExpression?)renamer.Visit(predicate),
                groupBy: [],
                having: null,
                projections: [new ProjectionExpression(new ColumnExpression(keyColumn.Name, renamer.Rename(tableExpression.Alias), keyType, keyMapping, nullable: false), keyColumn.Name)],
                distinct: false,
                orderings: [],
                offset: null,
                limit: null,
                sqlAliasManager: _sqlAliasManager);
        }

        var knnAlias = NewAlias("k");
        var k = select.Offset is null ? select.Limit : _sqlExpressionFactory.Add(select.Offset, select.Limit);
        if (rerank)
        {
            k = RerankCandidates(k);
        }

        // VectorDistance(a, b, searchListSize: n) gives the search's L; else the context's default, else the index's own.
        var searchListSize = distance.Arguments.Count > 2
            ? distance.Arguments[2]
            : _defaultSearchListSize is { } contextDefault
                ? _sqlExpressionFactory.Constant(contextDefault, k.TypeMapping)
                : null;
        var knn = new DiskAnnKnnExpression(
            knnAlias,
            index.Name,
            queryVector,
            k,
            filter,
            exactScan: new DiskAnnExactScan(table.Name, table.Schema, keyColumn.Name, storeColumn.Name, distance.Name),
            indexColumns: filter?.Predicate is null ? null : IndexColumns(table, options),
            searchListSize: searchListSize,
            threshold: threshold,
            keyMap: index.FindAnnotation(DiskAnnAnnotationNames.KeyMap)?.Value is true ? index.Name + Migrations.DiskAnnSchemaSql.KeyMapSuffix : null);

        SqlExpression join = _sqlExpressionFactory.Equal(
            new ColumnExpression(keyColumn.Name, tableExpression.Alias, keyType, keyMapping, nullable: false),
            new ColumnExpression(DiskAnnKnnExpression.KeyColumnName, knnAlias, keyType, keyMapping, nullable: false));

        // A joined table can give an entity several rows, only some of which match: then the WHERE stays outside too.
        if (predicate is not null && predicateAliases.Overlaps(joinAliases))
        {
            join = _sqlExpressionFactory.AndAlso(join, predicate);
        }

        // A quantized index's threshold stays with the exact function, on the re-ranked candidates.
        if (rerank && thresholdConjunct is not null)
        {
            join = _sqlExpressionFactory.AndAlso(join, thresholdConjunct);
        }

        // "CROSS JOIN" keeps SQLite from reordering the join: the search runs once, then each hit is looked up by key.
        List<TableExpressionBase> tables = [knn, new CrossJoinExpression(tableExpression), .. select.Tables.Skip(1)];

        // A quantized index's distances are approximate: its candidates keep the exact function on the entity's own
        // float32 column, for the ordering and every projection (a re-rank). A float32 index returns the exact distance.
        if (rerank)
        {
            return select.Update(tables, join, select.GroupBy, select.Having, select.Projection, select.Orderings, select.Offset, select.Limit);
        }

        var distanceColumn = new ColumnExpression(
            DiskAnnKnnExpression.DistanceColumnName, knnAlias, distance.Type, distance.TypeMapping, nullable: false);
        var replacer = new DistanceReplacingExpressionVisitor(distance, distanceColumn);
        var projections = select.Projection.Select(p => (ProjectionExpression)replacer.Visit(p)!).ToList();
        var orderings = select.Orderings.Select(o => (OrderingExpression)replacer.Visit(o)!).ToList();

        // A query that reads nothing of the entity's table but its key (and the distance) needs no lookup of its rows:
        // the index's rowid is the key, the triggers keep the index to the table's rows, and a WHERE is already inside
        // the search. It reads the search alone, as the raw SQL would (each lookup costs a B-tree search of the table).
        if (select.Tables.Count == 1)
        {
            var keyReplacer = new KeyReplacingExpressionVisitor(tableExpression.Alias, keyColumn.Name, knnAlias);
            var keyProjections = projections.Select(p => (ProjectionExpression)keyReplacer.Visit(p)!).ToList();
            var keyOrderings = orderings.Select(o => (OrderingExpression)keyReplacer.Visit(o)!).ToList();
            if (!keyProjections.Concat<Expression>(keyOrderings).Any(e => ColumnAliases(e).Contains(tableExpression.Alias)))
            {
                return select.Update([knn], null, select.GroupBy, select.Having, keyProjections, keyOrderings, select.Offset, select.Limit);
            }
        }

        return select.Update(tables, join, select.GroupBy, select.Having, projections, orderings, select.Offset, select.Limit);
    }

    /// <summary>
    /// A threshold after the search, <c>OrderBy(VectorDistance).Take(k).Where(d =&gt; VectorDistance(d.E, q) &lt; t)</c>:
    /// <code>SELECT ... FROM (SELECT ... FROM (search) AS "k" ... LIMIT +@p) AS "d0" WHERE vector_distance_m("d0"."E", @q) &lt; @t</code>
    /// moved into the search as its threshold (the same rows: those of the k nearest that pass). The conjunct may also
    /// read the distance the subquery projects. Not with an OFFSET in the subquery (it skips rows before the threshold),
    /// nor for a re-ranked (int8) search; <see langword="null" /> when <paramref name="select" /> has no such conjunct.
    /// </summary>
    protected virtual SelectExpression? TryMoveThreshold(SelectExpression select)
    {
        if (select is not { Predicate: { } predicate, Tables: [SelectExpression { Offset: null, Limit: not null } inner] }
            || inner.Tables is not [DiskAnnKnnExpression { Threshold: null, ExactScan: { } scan } knn, ..]
            || inner.Orderings is not [{ IsAscending: true, Expression: ColumnExpression ordering }, ..]
            || ordering.TableAlias != knn.Alias
            || ordering.Name != DiskAnnKnnExpression.DistanceColumnName)
        {
            return null;
        }

        // The subquery column the conjunct reads: the search's distance, or the entity's vector column.
        SqlExpression? Projected(SqlExpression expression)
            => expression is ColumnExpression column && column.TableAlias == inner.Alias
                ? inner.Projection.FirstOrDefault(p => p.Alias == column.Name)?.Expression
                : null;
        bool IsSearchDistance(SqlExpression expression)
            => Projected(expression) is ColumnExpression { Name: DiskAnnKnnExpression.DistanceColumnName } column && column.TableAlias == knn.Alias
                || (expression is SqlFunctionExpression { Instance: null, Arguments: [var vector, var query, ..] } function
                    && function.Name == scan.DistanceFunction
                    && Projected(vector) is ColumnExpression entityVector
                    && entityVector.Name == scan.VectorColumn
                    && inner.Tables.Any(t => t is CrossJoinExpression { Table: TableExpression { Table: ITable table } entity } && entity.Alias == entityVector.TableAlias && table.Name == scan.Table && table.Schema == scan.Schema)
                    && IsSameValue(query, knn.QueryVector));

        var (threshold, _, remaining) = SplitThreshold(predicate, IsSearchDistance);
        if (threshold is null)
        {
            return null;
        }

        var tables = inner.Tables.ToList();
        tables[0] = knn.WithThreshold(threshold);
        var searched = inner.Update(tables, inner.Predicate, inner.GroupBy, inner.Having, inner.Projection, inner.Orderings, inner.Offset, inner.Limit);
        return select.Update([searched], remaining, select.GroupBy, select.Having, select.Projection, select.Orderings, select.Offset, select.Limit);
    }

    /// <summary>
    /// Why <paramref name="select" />, which <see cref="TryRewrite" /> left alone, is ordered by a distance on a column with
    /// a <c>diskann</c> index that the index does not answer (with the fix); <see langword="null" /> when its first ordering
    /// is not such a distance (then the query is not a nearest-neighbour search, or a subquery's search answers it).
    /// </summary>
    protected virtual string? FallbackReason(SelectExpression select)
    {
        if (select.Orderings.Count == 0
            || FindDistance(select.Orderings[0].Expression, select, out var throughSubquery) is not var (distance, column, table)
            || table.Indexes.FirstOrDefault(i => i.Columns is [var c] && c.Name == column.Name && i.GetDiskAnnOptions() is not null) is not { } index)
        {
            return null;
        }

        var options = index.GetDiskAnnOptions()!;
        var what = $"OrderBy(EF.Functions.VectorDistance) on '{table.Name}.{column.Name}'";
        if (DiskAnnIndexOptions.DistanceFunctionName(options.Metric) != distance.Name)
        {
            var metric = distance.Name[DistanceFunctionPrefix.Length..];
            return $"{what} measures {metric}, but its diskann index '{index.Name}' orders by {DiskAnnIndexOptions.FormatMetric(options.Metric)}. "
                + "Leave the metric argument out (the index's metric is the default) or index the column with the metric you query.";
        }

        if (!select.Orderings[0].IsAscending)
        {
            return $"{what} is descending (OrderByDescending): the index finds the nearest rows, not the farthest. Order ascending for the index to answer.";
        }

        if (select.IsDistinct || throughSubquery?.IsDistinct == true)
        {
            return $"{what} follows Distinct(): the index answers OrderBy(VectorDistance).Take(k) on the entity set itself. Apply Distinct after Take, or leave it out.";
        }

        if (select.Limit is null)
        {
            return $"{what} has no Take(k): every row is sorted. Add Take(k) (at most {DiskAnnIndexOptions.MaxK}, with any Skip) for the index to answer it.";
        }

        if (throughSubquery is not null)
        {
            return $"{what} follows another operator (a projection, Distinct, GroupBy or a set operation that makes a subquery): the index answers "
                + "OrderBy(VectorDistance).Take(k) written directly on the entity set, with Where before it. Move the other operators after Take.";
        }

        return $"{what} is part of a query shape the index does not answer (the index needs Where, then OrderBy(VectorDistance), then Take on the entity set, "
            + "with a single-property key). Move GroupBy, set operations and other operators after Take.";
    }

    /// <summary>
    /// The distance function <paramref name="expression" /> is (directly, or a column that a subquery of
    /// <paramref name="select" /> projects it as), with its vector column and that column's table; the subquery, if any,
    /// in <paramref name="throughSubquery" />. <see langword="null" /> when it is no such distance, or when the subquery
    /// is already answered by the index.
    /// </summary>
    private static (SqlFunctionExpression Distance, ColumnExpression Column, ITable Table)? FindDistance(
        SqlExpression expression,
        SelectExpression select,
        out SelectExpression? throughSubquery)
    {
        throughSubquery = null;
        if (expression is ColumnExpression outer
            && select.Tables.Select(t => t is JoinExpressionBase j ? j.Table : t).OfType<SelectExpression>().FirstOrDefault(s => s.Alias == outer.TableAlias) is { } subquery
            && !subquery.Tables.Any(t => t is DiskAnnKnnExpression)
            && subquery.Projection.FirstOrDefault(p => p.Alias == outer.Name) is { } projection)
        {
            throughSubquery = subquery;
            select = subquery;
            expression = projection.Expression;
        }

        if (expression is not SqlFunctionExpression { Instance: null, Arguments: [var first, var second, ..] } distance
            || !distance.Name.StartsWith(DistanceFunctionPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var column = first as ColumnExpression ?? second as ColumnExpression;
        return column is not null
            && select.Tables.Select(t => t is JoinExpressionBase j ? j.Table : t).OfType<TableExpression>().FirstOrDefault(t => t.Alias == column.TableAlias) is { Table: ITable table }
            ? (distance, column, table)
            : null;
    }

    /// <summary>
    /// The index's filter columns that a condition on the entity's column of the same name may be evaluated on instead:
    /// those that compare as the entity's column does (the same affinity, or a decimal's REAL; text columns have the
    /// BINARY collation the module compares with, which the model checks). <see langword="null" /> when there are none.
    /// </summary>
    private DiskAnnIndexColumns? IndexColumns(ITable table, DiskAnnIndexOptions options)
    {
        var names = (options.FilterColumns ?? [])
            .Where(c => table.FindColumn(c.Name) is { } column
                && DiskAnnFilterColumn.TypeOf(column.StoreType, column.ProviderClrType) == c.Type)
            .Select(c => c.Name)
            .ToList();
        return names.Count == 0 ? null : new DiskAnnIndexColumns(NewAlias("i"), names);
    }

    /// <summary>
    /// How many candidates a quantized index returns for a re-rank of <paramref name="k" /> rows:
    /// <c>max(k, min(k * 4, MaxK))</c>, so 4k up to the module's ceiling (a k above it is answered by the exact form).
    /// </summary>
    private SqlExpression RerankCandidates(SqlExpression k)
    {
        var mapping = k.TypeMapping;
        var capped = _sqlExpressionFactory.Function(
            "min",
            [_sqlExpressionFactory.Multiply(k, _sqlExpressionFactory.Constant(RerankFactor, mapping)), _sqlExpressionFactory.Constant(DiskAnnIndexOptions.MaxK, mapping)],
            nullable: false,
            argumentsPropagateNullability: [false, false],
            k.Type,
            mapping);
        return _sqlExpressionFactory.Function(
            "max", [k, capped], nullable: false, argumentsPropagateNullability: [false, false], k.Type, mapping);
    }

    /// <summary>
    /// The first conjunct of <paramref name="predicate" /> that compares a distance (<paramref name="isDistance" />) with a value
    /// (<c>distance &lt; v</c>, <c>distance &lt;= v</c>, <c>v &gt; distance</c>, <c>v &gt;= distance</c>) as a threshold, and the
    /// predicate without it (<see langword="null" /> when nothing remains); the conjunct itself in <c>Conjunct</c>.
    /// </summary>
    private (DiskAnnDistanceThreshold? Threshold, SqlExpression? Conjunct, SqlExpression? Remaining) SplitThreshold(SqlExpression? predicate, Func<SqlExpression, bool> isDistance)
    {
        if (predicate is null)
        {
            return (null, null, null);
        }

        var conjuncts = DiskAnnSearchConditionsExpressionVisitor.Conjuncts(predicate).ToList();
        for (var i = 0; i < conjuncts.Count; i++)
        {
            DiskAnnDistanceThreshold? threshold = conjuncts[i] switch
            {
                SqlBinaryExpression { OperatorType: ExpressionType.LessThan or ExpressionType.LessThanOrEqual, Left: var left, Right: var right } binary
                    when isDistance(left) && IsQueryValue(right)
                    => new(right, binary.OperatorType == ExpressionType.LessThanOrEqual),
                SqlBinaryExpression { OperatorType: ExpressionType.GreaterThan or ExpressionType.GreaterThanOrEqual, Left: var left, Right: var right } binary
                    when isDistance(right) && IsQueryValue(left)
                    => new(left, binary.OperatorType == ExpressionType.GreaterThanOrEqual),
                _ => null,
            };
            if (threshold is not null)
            {
                var conjunct = conjuncts[i];
                conjuncts.RemoveAt(i);
                return (threshold, conjunct, conjuncts.Count == 0 ? null : conjuncts.Aggregate(_sqlExpressionFactory.AndAlso));
            }
        }

        return (null, null, predicate);
    }

    /// <summary>
    /// Whether <paramref name="sql" /> is the distance <paramref name="distance" /> measures: the same function of the same
    /// column and query vector. The ordering and a projection or predicate of the same VectorDistance(column, query) can
    /// carry the query parameter with different type mappings (EF then binds it twice, as @query and @query0); one parameter
    /// name is one value. The search list size (a third argument) does not change the distance.
    /// </summary>
    private static bool IsSameDistance(SqlExpression sql, SqlExpression distance)
        => sql.Equals(distance)
            || (sql is SqlFunctionExpression { Instance: null, Arguments: [var column, var query, ..] } function
                && distance is SqlFunctionExpression { Arguments: [var distanceColumn, var distanceQuery, ..] } target
                && function.Name == target.Name
                && column.Equals(distanceColumn)
                && IsSameValue(query, distanceQuery));

    /// <summary>The same constant or parameter (one parameter name is one value, whatever its type mapping).</summary>
    private static bool IsSameValue(SqlExpression value, SqlExpression other)
        => value.Equals(other)
            || (value is SqlParameterExpression parameter
                && other is SqlParameterExpression otherParameter
                && parameter.Name == otherParameter.Name
                && parameter.Type == otherParameter.Type);

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

    /// <summary>
    /// The joins the filter subquery needs: those the predicate reads, those that can remove rows (anything but a LEFT
    /// JOIN or OUTER APPLY), and the joins these read in turn; in their original order.
    /// </summary>
    private static List<JoinExpressionBase> FilterJoins(List<JoinExpressionBase> joins, HashSet<string> predicateAliases)
    {
        var needed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var join in joins)
        {
            if (join.Table.Alias is { } alias
                && (predicateAliases.Contains(alias) || join is not (LeftJoinExpression or OuterApplyExpression)))
            {
                needed.Add(alias);
            }
        }

        // Later joins read earlier ones (a navigation of a navigation): walk back so one pass closes the set.
        for (var i = joins.Count - 1; i >= 0; i--)
        {
            if (joins[i].Table.Alias is { } alias && needed.Contains(alias))
            {
                needed.UnionWith(ColumnAliases(joins[i]));
            }
        }

        return joins.Where(j => j.Table.Alias is { } alias && needed.Contains(alias)).ToList();
    }

    /// <summary>A new alias for every table alias defined in the filter's parts (nested subqueries included).</summary>
    private Dictionary<string, string> FreshAliases(TableExpressionBase table, List<JoinExpressionBase> joins, SqlExpression? predicate)
    {
        var defined = new HashSet<string>(StringComparer.Ordinal);
        var collector = new AliasCollector(defined);
        collector.Visit(table);
        foreach (var join in joins)
        {
            collector.Visit(join);
        }

        collector.Visit(predicate);
        return defined.Order(StringComparer.Ordinal).ToDictionary(a => a, NewAlias, StringComparer.Ordinal);
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

    /// <summary>Renames table aliases, both where the tables are defined and in the columns that read them.</summary>
    private sealed class AliasRenamingExpressionVisitor(Dictionary<string, string> renames) : ExpressionVisitor
    {
        public string Rename(string alias) => renames.GetValueOrDefault(alias, alias);

        protected override Expression VisitExtension(Expression node)
        {
            switch (node)
            {
                case ColumnExpression column when renames.TryGetValue(column.TableAlias, out var alias):
                    return new ColumnExpression(column.Name, alias, column.Type, column.TypeMapping, column.IsNullable);

                case TableExpressionBase { Alias: { } alias } table when renames.TryGetValue(alias, out var newAlias):
                    return ((TableExpressionBase)base.VisitExtension(table)).WithAlias(newAlias);

                default:
                    return base.VisitExtension(node);
            }
        }
    }

    /// <summary>Reads the entity's key column from the search's key column instead.</summary>
    private sealed class KeyReplacingExpressionVisitor(string tableAlias, string keyColumnName, string knnAlias) : ExpressionVisitor
    {
        protected override Expression VisitExtension(Expression node)
            => node is ColumnExpression column && column.TableAlias == tableAlias && column.Name == keyColumnName
                ? new ColumnExpression(DiskAnnKnnExpression.KeyColumnName, knnAlias, column.Type, column.TypeMapping, column.IsNullable)
                : base.VisitExtension(node);
    }

    private sealed class DistanceReplacingExpressionVisitor(SqlExpression distance, SqlExpression replacement) : ExpressionVisitor
    {
        public override Expression? Visit(Expression? node)
            => node is SqlExpression sql && IsSameDistance(sql, distance) ? replacement : base.Visit(node);
    }
}
