using Microsoft.EntityFrameworkCore.Storage;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>Contributes <see cref="DiskAnnVectorDistanceTranslator" />.</summary>
public class DiskAnnMethodCallTranslatorPlugin : IMethodCallTranslatorPlugin
{
    /// <summary>Creates the plugin.</summary>
    public DiskAnnMethodCallTranslatorPlugin(ISqlExpressionFactory sqlExpressionFactory, IRelationalTypeMappingSource typeMappingSource)
        => Translators = [new DiskAnnVectorDistanceTranslator(sqlExpressionFactory, typeMappingSource)];

    /// <inheritdoc />
    public virtual IEnumerable<IMethodCallTranslator> Translators { get; }
}
