using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Sqlite.Query.Internal;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>
/// SQLite's query postprocessor, then <see cref="DiskAnnKnnRewritingExpressionVisitor" />: the step that turns
/// <c>OrderBy(VectorDistance).Take(k)</c> over an indexed column into a KNN over the <c>diskann</c> table.
/// </summary>
public class DiskAnnQueryTranslationPostprocessor : SqliteQueryTranslationPostprocessor
{
    /// <summary>Creates the postprocessor.</summary>
    public DiskAnnQueryTranslationPostprocessor(
        QueryTranslationPostprocessorDependencies dependencies,
        RelationalQueryTranslationPostprocessorDependencies relationalDependencies,
        RelationalQueryCompilationContext queryCompilationContext)
        : base(dependencies, relationalDependencies, queryCompilationContext)
    {
    }

    /// <inheritdoc />
    public override Expression Process(Expression query)
        => new DiskAnnKnnRewritingExpressionVisitor(
                RelationalDependencies.SqlExpressionFactory,
                RelationalQueryCompilationContext.SqlAliasManager,
                QueryCompilationContext.Logger,
                QueryCompilationContext.ContextOptions.FindExtension<Infrastructure.DiskAnnOptionsExtension>()?.SearchListSize)
            .Rewrite(base.Process(query));
}
