using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.EntityFrameworkCore.Design;

/// <summary>
/// Design-time services for <c>dotnet ef</c>: the plugin's type mappings, annotation providers and migrations SQL
/// generator, so that scaffolded migrations and <c>migrations script</c> know about <c>diskann</c> indexes.
/// The package's build targets point <c>dotnet ef</c> here with <c>[assembly: DesignTimeServicesReference]</c>.
/// </summary>
public class DiskAnnDesignTimeServices : IDesignTimeServices
{
    /// <inheritdoc />
    public virtual void ConfigureDesignTimeServices(IServiceCollection serviceCollection)
        => serviceCollection.AddEntityFrameworkSqliteDiskAnn();
}
