using System.Linq.Expressions;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>
/// Keeps EF Core from evaluating <c>VectorDistance</c> on the client when all its arguments are constants or
/// parameters: it is always sent to SQLite.
/// </summary>
public class DiskAnnEvaluatableExpressionFilterPlugin : IEvaluatableExpressionFilterPlugin
{
    /// <inheritdoc />
    public virtual bool IsEvaluatableExpression(Expression expression)
        => expression is not MethodCallExpression { Method.DeclaringType: var type } || type != typeof(DiskAnnDbFunctionsExtensions);
}
