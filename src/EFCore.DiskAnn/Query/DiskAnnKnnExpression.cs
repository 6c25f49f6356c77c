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
        IReadOnlyDictionary<string, IAnnotation>? annotations = null)
        : base(alias, annotations)
    {
        IndexTable = indexTable;
        QueryVector = queryVector;
        K = k;
        Filter = filter;
    }

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
            : new DiskAnnKnnExpression(Alias, IndexTable, queryVector, k, filter, Annotations);

    /// <inheritdoc />
    public override TableExpressionBase Clone(string? alias, ExpressionVisitor cloningExpressionVisitor)
        => new DiskAnnKnnExpression(
            alias ?? Alias,
            IndexTable,
            (SqlExpression)cloningExpressionVisitor.Visit(QueryVector),
            (SqlExpression)cloningExpressionVisitor.Visit(K),
            (SelectExpression?)cloningExpressionVisitor.Visit(Filter),
            Annotations);

    /// <inheritdoc />
    public override TableExpressionBase WithAlias(string newAlias)
        => new DiskAnnKnnExpression(newAlias, IndexTable, QueryVector, K, Filter, Annotations);

    /// <inheritdoc />
    protected override TableExpressionBase WithAnnotations(IReadOnlyDictionary<string, IAnnotation> annotations)
        => new DiskAnnKnnExpression(Alias, IndexTable, QueryVector, K, Filter, annotations);

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
                    && Equals(Filter, other.Filter)));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), IndexTable, QueryVector, K, Filter);
}
