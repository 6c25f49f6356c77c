using Microsoft.EntityFrameworkCore.Storage;

namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>Creates <see cref="DiskAnnQuerySqlGenerator" />s.</summary>
public class DiskAnnQuerySqlGeneratorFactory : IQuerySqlGeneratorFactory
{
    private readonly QuerySqlGeneratorDependencies _dependencies;
    private readonly RelationalCommandBuilderDependencies _commandDependencies;

    /// <summary>Creates the factory.</summary>
    public DiskAnnQuerySqlGeneratorFactory(QuerySqlGeneratorDependencies dependencies, RelationalCommandBuilderDependencies commandDependencies)
    {
        _dependencies = dependencies;
        _commandDependencies = commandDependencies;
    }

    /// <inheritdoc />
    public virtual QuerySqlGenerator Create() => new DiskAnnQuerySqlGenerator(_dependencies, _commandDependencies);
}
