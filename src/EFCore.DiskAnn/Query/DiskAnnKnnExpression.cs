using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>
/// A k-nearest-neighbour search of a <c>diskann</c> virtual table, used as a table in a query's FROM clause:
/// <code>
/// (SELECT rowid AS "key", distance FROM "index" WHERE vector MATCH @q AND k = @k [AND rowid IN (filter)]) AS "alias"
/// </code>
/// Its two columns are <see cref="KeyColumnName" /> (the entity's key) and <see cref="DistanceColumnName" />.
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
        DiskAnnExactScan? exactScan = null)
        : base(alias, annotations)
    {
        IndexTable = indexTable;
        QueryVector = queryVector;
        K = k;
        Filter = filter;
        ExactScan = exactScan;
    }

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

    /// <summary>A subquery returning the keys the search may return (a <c>Where</c> before the ordering), or null.</summary>
    public virtual SelectExpression? Filter { get; }

    /// <inheritdoc />
    protected override Expression VisitChildren(ExpressionVisitor visitor)
        => Update(
            (SqlExpression)visitor.Visit(QueryVector),
            (SqlExpression)visitor.Visit(K),
            (SelectExpression?)visitor.Visit(Filter));

    /// <summary>This search with other children, or itself if they are the same.</summary>
    public virtual DiskAnnKnnExpression Update(SqlExpression queryVector, SqlExpression k, SelectExpression? filter)
        => queryVector == QueryVector && k == K && filter == Filter
            ? this
            : new DiskAnnKnnExpression(Alias, IndexTable, queryVector, k, filter, Annotations, ExactScan);

    /// <inheritdoc />
    public override TableExpressionBase Clone(string? alias, ExpressionVisitor cloningExpressionVisitor)
        => new DiskAnnKnnExpression(
            alias ?? Alias,
            IndexTable,
            (SqlExpression)cloningExpressionVisitor.Visit(QueryVector),
            (SqlExpression)cloningExpressionVisitor.Visit(K),
            (SelectExpression?)cloningExpressionVisitor.Visit(Filter),
            Annotations,
            ExactScan);

    /// <inheritdoc />
    public override TableExpressionBase WithAlias(string newAlias)
        => new DiskAnnKnnExpression(newAlias, IndexTable, QueryVector, K, Filter, Annotations, ExactScan);

    /// <inheritdoc />
    protected override TableExpressionBase WithAnnotations(IReadOnlyDictionary<string, IAnnotation> annotations)
        => new DiskAnnKnnExpression(Alias, IndexTable, QueryVector, K, Filter, annotations, ExactScan);

    /// <inheritdoc />
    public override Expression Quote()
        => throw new NotSupportedException("Queries answered by a diskann index cannot be precompiled (NativeAOT) yet.");

    /// <inheritdoc />
    protected override void Print(ExpressionPrinter expressionPrinter)
    {
        expressionPrinter.Append("diskann ").Append(IndexTable).Append("(MATCH ");
        expressionPrinter.Visit(QueryVector);
        expressionPrinter.Append(", k = ");
        expressionPrinter.Visit(K);
        if (Filter is not null)
        {
            expressionPrinter.Append(", rowid IN (");
            expressionPrinter.Visit(Filter);
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
                    && Equals(ExactScan, other.ExactScan)));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), IndexTable, QueryVector, K, Filter, ExactScan);
}

/// <summary>What the exact form of a <see cref="DiskAnnKnnExpression" /> reads: <c>SELECT key, function(vector, @q) FROM table</c>.</summary>
/// <param name="Table">The entity table.</param>
/// <param name="Schema">The entity table's schema, or <see langword="null" />.</param>
/// <param name="KeyColumn">The integer key column (the index's rowid).</param>
/// <param name="VectorColumn">The indexed vector column.</param>
/// <param name="DistanceFunction">The exact distance function of the index's metric, for example <c>vector_distance_l2</c>.</param>
public sealed record DiskAnnExactScan(string Table, string? Schema, string KeyColumn, string VectorColumn, string DistanceFunction);
