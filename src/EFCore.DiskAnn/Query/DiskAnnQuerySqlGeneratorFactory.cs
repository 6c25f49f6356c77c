namespace Microsoft.EntityFrameworkCore.Query;

/// <summary>Creates <see cref="DiskAnnQuerySqlGenerator" />s.</summary>
public class DiskAnnQuerySqlGeneratorFactory : IQuerySqlGeneratorFactory
{
    private readonly QuerySqlGeneratorDependencies _dependencies;

    /// <summary>Creates the factory.</summary>
    public DiskAnnQuerySqlGeneratorFactory(QuerySqlGeneratorDependencies dependencies) => _dependencies = dependencies;

    /// <inheritdoc />
    public virtual QuerySqlGenerator Create() => new DiskAnnQuerySqlGenerator(_dependencies);
}
