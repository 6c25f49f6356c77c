using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>
/// <c>left IS right</c> or <c>left IS NOT right</c>: SQL's null-safe comparison, which a <c>diskann</c> search evaluates
/// on a filter column. C#'s <c>d.Lang != "en"</c>, which EF Core writes <c>("Lang" &lt;&gt; 'en' OR "Lang" IS NULL)</c>,
/// is <c>"Lang" IS NOT 'en'</c>, one constraint the module takes.
/// </summary>
public class DiskAnnIsExpression : SqlExpression
{
    /// <summary>Creates the comparison.</summary>
    public DiskAnnIsExpression(SqlExpression left, SqlExpression right, bool negated, RelationalTypeMapping? typeMapping)
        : base(typeof(bool), typeMapping)
    {
        Left = left;
        Right = right;
        IsNegated = negated;
    }

    /// <summary>The left operand (the column).</summary>
    public virtual SqlExpression Left { get; }

    /// <summary>The right operand (the value).</summary>
    public virtual SqlExpression Right { get; }

    /// <summary>Whether this is <c>IS NOT</c>.</summary>
    public virtual bool IsNegated { get; }

    /// <inheritdoc />
    protected override Expression VisitChildren(ExpressionVisitor visitor)
    {
        var left = (SqlExpression)visitor.Visit(Left);
        var right = (SqlExpression)visitor.Visit(Right);
        return left == Left && right == Right ? this : new DiskAnnIsExpression(left, right, IsNegated, TypeMapping);
    }

    /// <inheritdoc />
    public override Expression Quote()
        => throw new NotSupportedException("Queries answered by a diskann index cannot be precompiled (NativeAOT) yet.");

    /// <inheritdoc />
    protected override void Print(ExpressionPrinter expressionPrinter)
    {
        expressionPrinter.Visit(Left);
        expressionPrinter.Append(IsNegated ? " IS NOT " : " IS ");
        expressionPrinter.Visit(Right);
    }

    /// <inheritdoc />
    public override bool Equals(object? obj)
        => obj is DiskAnnIsExpression other
            && base.Equals(other)
            && Left.Equals(other.Left)
            && Right.Equals(other.Right)
            && IsNegated == other.IsNegated;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Left, Right, IsNegated);
}
