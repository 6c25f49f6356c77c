using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>
/// A k-nearest-neighbour search of a <c>diskann</c> virtual table, used as a table in a query's FROM clause:
/// <code>
/// (SELECT rowid AS "key", distance FROM "index" WHERE vector MATCH @q AND k = @k [AND search_list_size = @l] [AND rowid IN (filter)]) AS "alias"
/// </code>
/// Its two columns are <see cref="KeyColumnName" /> (the entity's key) and <see cref="DistanceColumnName" />. When the key
/// is not an integer, the rowid is mapped to it and back by the index's key map (<see cref="KeyMap" />):
/// <code>
/// (SELECT (SELECT "IX_keys"."key" FROM "IX_keys" WHERE "IX_keys"."id" = "IX".rowid) AS "key", distance FROM "IX"
///  WHERE vector MATCH @q AND k = @k [AND rowid IN (SELECT "IX_keys"."id" FROM "IX_keys" WHERE "IX_keys"."key" IN (filter))]) AS "alias"
/// </code>
/// When the index has filter columns (<see cref="IndexColumns" />), the conjuncts of the filter that read only them become
/// <see cref="Conditions" /> on the index's own columns, and the filter keeps the rest (<see cref="RemainingFilter" />):
/// <code>
/// (SELECT rowid AS "key", distance FROM "index" AS "i" WHERE vector MATCH @q AND k = @k AND "i"."Lang" = 'en' [AND rowid IN (rest)]) AS "alias"
/// </code>
/// <see cref="ExactScan" /> says how to compute the same two columns without the index, for a k above the module's
/// <see cref="Metadata.DiskAnnIndexOptions.MaxK" />.
/// </summary>
public class DiskAnnKnnExpression : TableExpressionBase
{
    /// <summary>The column holding the rowid (the entity's key).</summary>
    public const string KeyColumnName = "key";

    /// <summary>The column holding the distance.</summary>
    public const string DistanceColumnName = "distance";

    /// <summary>Creates the search.</summary>
    public DiskAnnKnnExpression(
        string alias,
        string indexTable,
        SqlExpression queryVector,
        SqlExpression k,
        SelectExpression? filter,
        IReadOnlyDictionary<string, IAnnotation>? annotations = null,
        DiskAnnExactScan? exactScan = null,
        DiskAnnIndexColumns? indexColumns = null,
        IReadOnlyList<SqlExpression>? conditions = null,
        SelectExpression? remainingFilter = null,
        SqlExpression? searchListSize = null,
        DiskAnnDistanceThreshold? threshold = null,
        string? keyMap = null)
        : base(alias, annotations)
    {
        KeyMap = keyMap;
        SearchListSize = searchListSize;
        Threshold = threshold;
        IndexTable = indexTable;
        QueryVector = queryVector;
        K = k;
        Filter = filter;
        ExactScan = exactScan;
        IndexColumns = indexColumns;
        Conditions = conditions ?? [];
        RemainingFilter = remainingFilter;
    }

    /// <summary>
    /// The key map of the index (<c>{index}_keys</c>) when the entity's key is not an integer: the search returns the key
    /// the map gives each rowid, and its filter's keys are mapped to rowids; <see langword="null" /> when the key is the
    /// rowid itself.
    /// </summary>
    public virtual string? KeyMap { get; }

    /// <summary>
    /// The index's filter columns that a conjunct of <see cref="Filter" /> may be evaluated on instead (same name in the
    /// entity table), and the alias of the index in the search; <see langword="null" /> when there are none.
    /// </summary>
    public virtual DiskAnnIndexColumns? IndexColumns { get; }

    /// <summary>
    /// Conditions on the index's filter columns (read with <see cref="DiskAnnIndexColumns.Alias" />), split off
    /// <see cref="Filter" /> once null semantics are applied; empty when the search takes <see cref="Filter" /> whole.
    /// </summary>
    public virtual IReadOnlyList<SqlExpression> Conditions { get; }

    /// <summary>
    /// With <see cref="Conditions" />, what remains of <see cref="Filter" /> for the search (<see langword="null" /> when
    /// nothing remains). The exact form of the search still takes <see cref="Filter" /> whole.
    /// </summary>
    public virtual SelectExpression? RemainingFilter { get; }

    /// <summary>The filter subquery of the index search: <see cref="RemainingFilter" /> with conditions, else <see cref="Filter" />.</summary>
    public virtual SelectExpression? SearchFilter => Conditions.Count > 0 ? RemainingFilter : Filter;

    /// <summary>The entity table, key, vector column and distance function for the exact form of this search, if known.</summary>
    public virtual DiskAnnExactScan? ExactScan { get; }

    /// <inheritdoc />
    public override string Alias => base.Alias!;

    /// <summary>The <c>diskann</c> virtual table.</summary>
    public virtual string IndexTable { get; }

    /// <summary>The query vector (a BLOB).</summary>
    public virtual SqlExpression QueryVector { get; }

    /// <summary>How many neighbours to return.</summary>
    public virtual SqlExpression K { get; }

    /// <summary>
    /// The search list size L of this search (<c>AND search_list_size = @p</c>), or <see langword="null" /> for the index's
    /// own <c>search_list_size</c>.
    /// </summary>
    public virtual SqlExpression? SearchListSize { get; }

    /// <summary>A subquery returning the keys the search may return (a <c>Where</c> before the ordering), or null.</summary>
    public virtual SelectExpression? Filter { get; }

    /// <summary>
    /// The search's distance threshold (<c>AND distance &lt; @t</c>, from a <c>Where</c> comparing the ordering's
    /// distance with a value), applied by the module to the k nearest; <see langword="null" /> for none.
    /// </summary>
    public virtual DiskAnnDistanceThreshold? Threshold { get; }

    /// <inheritdoc />
    protected override Expression VisitChildren(ExpressionVisitor visitor)
    {
        var searched = Update(
            (SqlExpression)visitor.Visit(QueryVector),
            (SqlExpression)visitor.Visit(K),
            (SelectExpression?)visitor.Visit(Filter),
            (SqlExpression?)visitor.Visit(SearchListSize));
        if (Threshold is { } threshold && visitor.Visit(threshold.Value) is SqlExpression value && value != threshold.Value)
        {
            searched = searched.WithThreshold(threshold with { Value = value });
        }
        if (Conditions.Count == 0)
        {
            return searched;
        }

        var conditions = Conditions.Select(c => (SqlExpression)visitor.Visit(c)).ToList();
        var remaining = (SelectExpression?)visitor.Visit(RemainingFilter);
        return searched == this && remaining == RemainingFilter && conditions.SequenceEqual(Conditions)
            ? this
            : searched.WithConditions(conditions, remaining);
    }

    /// <summary>This search with other children, or itself if they are the same.</summary>
    public virtual DiskAnnKnnExpression Update(SqlExpression queryVector, SqlExpression k, SelectExpression? filter)
        => Update(queryVector, k, filter, SearchListSize);

    /// <summary>This search with other children (and search list size), or itself if they are the same.</summary>
    public virtual DiskAnnKnnExpression Update(SqlExpression queryVector, SqlExpression k, SelectExpression? filter, SqlExpression? searchListSize)
        => queryVector == QueryVector && k == K && filter == Filter && searchListSize == SearchListSize
            ? this
            : new DiskAnnKnnExpression(Alias, IndexTable, queryVector, k, filter, Annotations, ExactScan, IndexColumns, Conditions, RemainingFilter, searchListSize, Threshold, KeyMap);

    /// <summary>This search with <paramref name="conditions" /> on the index's columns, and what remains of the filter.</summary>
    public virtual DiskAnnKnnExpression WithConditions(IReadOnlyList<SqlExpression> conditions, SelectExpression? remainingFilter)
        => new(Alias, IndexTable, QueryVector, K, Filter, Annotations, ExactScan, IndexColumns, conditions, remainingFilter, SearchListSize, Threshold, KeyMap);

    /// <summary>This search with a distance threshold (see <see cref="Threshold" />).</summary>
    public virtual DiskAnnKnnExpression WithThreshold(DiskAnnDistanceThreshold? threshold)
        => new(Alias, IndexTable, QueryVector, K, Filter, Annotations, ExactScan, IndexColumns, Conditions, RemainingFilter, SearchListSize, threshold, KeyMap);

    /// <inheritdoc />
    public override TableExpressionBase Clone(string? alias, ExpressionVisitor cloningExpressionVisitor)
        => new DiskAnnKnnExpression(
            alias ?? Alias,
            IndexTable,
            (SqlExpression)cloningExpressionVisitor.Visit(QueryVector),
            (SqlExpression)cloningExpressionVisitor.Visit(K),
            (SelectExpression?)cloningExpressionVisitor.Visit(Filter),
            Annotations,
            ExactScan,
            IndexColumns,
            Conditions.Select(c => (SqlExpression)cloningExpressionVisitor.Visit(c)).ToList(),
            (SelectExpression?)cloningExpressionVisitor.Visit(RemainingFilter),
            (SqlExpression?)cloningExpressionVisitor.Visit(SearchListSize),
            Threshold is { } threshold ? threshold with { Value = (SqlExpression)cloningExpressionVisitor.Visit(threshold.Value) } : null,
            KeyMap);

    /// <inheritdoc />
    public override TableExpressionBase WithAlias(string newAlias)
        => new DiskAnnKnnExpression(newAlias, IndexTable, QueryVector, K, Filter, Annotations, ExactScan, IndexColumns, Conditions, RemainingFilter, SearchListSize, Threshold, KeyMap);

    /// <inheritdoc />
    protected override TableExpressionBase WithAnnotations(IReadOnlyDictionary<string, IAnnotation> annotations)
        => new DiskAnnKnnExpression(Alias, IndexTable, QueryVector, K, Filter, annotations, ExactScan, IndexColumns, Conditions, RemainingFilter, SearchListSize, Threshold, KeyMap);

    /// <inheritdoc />
    public override Expression Quote()
        => throw new NotSupportedException("Queries answered by a diskann index cannot be precompiled (NativeAOT) yet.");

    /// <inheritdoc />
    protected override void Print(ExpressionPrinter expressionPrinter)
    {
        expressionPrinter.Append("diskann ").Append(IndexTable);
        if (KeyMap is not null)
        {
            expressionPrinter.Append(" keys ").Append(KeyMap);
        }

        expressionPrinter.Append("(MATCH ");
        expressionPrinter.Visit(QueryVector);
        expressionPrinter.Append(", k = ");
        expressionPrinter.Visit(K);
        if (SearchListSize is not null)
        {
            expressionPrinter.Append(", search_list_size = ");
            expressionPrinter.Visit(SearchListSize);
        }

        if (Threshold is { } threshold)
        {
            expressionPrinter.Append(threshold.Inclusive ? ", distance <= " : ", distance < ");
            expressionPrinter.Visit(threshold.Value);
        }

        foreach (var condition in Conditions)
        {
            expressionPrinter.Append(", ");
            expressionPrinter.Visit(condition);
        }

        if (SearchFilter is not null)
        {
            expressionPrinter.Append(", rowid IN (");
            expressionPrinter.Visit(SearchFilter);
            expressionPrinter.Append(")");
        }

        expressionPrinter.Append(")");
        PrintAnnotations(expressionPrinter);
        expressionPrinter.Append(" AS ").Append(Alias);
    }

    /// <inheritdoc />
    public override bool Equals(object? obj)
        => obj is DiskAnnKnnExpression other
            && (ReferenceEquals(this, other)
                || (base.Equals(other)
                    && IndexTable == other.IndexTable
                    && QueryVector.Equals(other.QueryVector)
                    && K.Equals(other.K)
                    && Equals(Filter, other.Filter)
                    && Equals(ExactScan, other.ExactScan)
                    && Equals(IndexColumns, other.IndexColumns)
                    && Conditions.SequenceEqual(other.Conditions)
                    && Equals(RemainingFilter, other.RemainingFilter)
                    && Equals(SearchListSize, other.SearchListSize)
                    && Equals(Threshold, other.Threshold)
                    && KeyMap == other.KeyMap));

    /// <inheritdoc />
    public override int GetHashCode()
        => HashCode.Combine(base.GetHashCode(), IndexTable, QueryVector, K, Filter, ExactScan, IndexColumns, Conditions.Count);
}

/// <summary>
/// The filter columns of a <c>diskann</c> index that a <c>Where</c> on the entity's columns of the same names may be
/// evaluated on inside the search, and the alias the search gives the index to read them.
/// </summary>
/// <param name="Alias">The alias of the index table in the search.</param>
/// <param name="Names">The column names (the same in the entity table and in the index).</param>
public sealed record DiskAnnIndexColumns(string Alias, IReadOnlyList<string> Names)
{
    /// <inheritdoc />
    public bool Equals(DiskAnnIndexColumns? other)
        => other is not null && Alias == other.Alias && Names.SequenceEqual(other.Names);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Alias, Names.Count);
}

/// <summary>The distance threshold of a <see cref="DiskAnnKnnExpression" />: <c>distance &lt; Value</c>, or <c>&lt;=</c>.</summary>
/// <param name="Value">The constant or parameter the distance is compared with.</param>
/// <param name="Inclusive">Whether the comparison is <c>&lt;=</c> rather than <c>&lt;</c>.</param>
public sealed record DiskAnnDistanceThreshold(SqlExpression Value, bool Inclusive);

/// <summary>What the exact form of a <see cref="DiskAnnKnnExpression" /> reads: <c>SELECT key, function(vector, @q) FROM table</c>.</summary>
/// <param name="Table">The entity table.</param>
/// <param name="Schema">The entity table's schema, or <see langword="null" />.</param>
/// <param name="KeyColumn">The key column (the index's rowid, or mapped to it by the key map).</param>
/// <param name="VectorColumn">The indexed vector column.</param>
/// <param name="DistanceFunction">The exact distance function of the index's metric, for example <c>vector_distance_l2</c>.</param>
public sealed record DiskAnnExactScan(string Table, string? Schema, string KeyColumn, string VectorColumn, string DistanceFunction);
