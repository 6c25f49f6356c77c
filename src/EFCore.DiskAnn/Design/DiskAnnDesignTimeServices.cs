using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.EntityFrameworkCore.Design;

/// <summary>
/// Design-time services for <c>dotnet ef</c>: the plugin's type mappings, annotation providers and migrations SQL
/// generator, so that scaffolded migrations and <c>migrations script</c> know about <c>diskann</c> indexes; and the
/// scaffolded C# writes a <c>diskann</c> index as <c>migrationBuilder.CreateDiskAnnIndex(...)</c> rather than as a
/// <c>CreateIndex</c> with annotations. The package's build targets point <c>dotnet ef</c> here with
/// <c>[assembly: DesignTimeServicesReference]</c>.
/// </summary>
public class DiskAnnDesignTimeServices : IDesignTimeServices
{
    private const string DesignAssembly = "Microsoft.EntityFrameworkCore.Design";

    /// <inheritdoc />
    public virtual void ConfigureDesignTimeServices(IServiceCollection serviceCollection)
    {
        serviceCollection.AddEntityFrameworkSqliteDiskAnn();

        // EF Core's design-time types are loaded by dotnet ef, not referenced by the plugin: the plugin's code writers
        // stand in for them through proxies of their interfaces (nothing happens where the assembly is absent).
        Decorate<DiskAnnMigrationOperationGeneratorProxy>(
            serviceCollection,
            "Microsoft.EntityFrameworkCore.Migrations.Design.ICSharpMigrationOperationGenerator",
            "Microsoft.EntityFrameworkCore.Migrations.Design.CSharpMigrationOperationGenerator",
            (proxy, inner) => proxy.Inner = inner);
        Decorate<DiskAnnMigrationsCodeGeneratorProxy>(
            serviceCollection,
            "Microsoft.EntityFrameworkCore.Migrations.Design.IMigrationsCodeGenerator",
            "Microsoft.EntityFrameworkCore.Migrations.Design.CSharpMigrationsGenerator",
            (proxy, inner) => proxy.Inner = inner);
    }

    /// <summary>
    /// Replaces each registration of the interface <paramref name="serviceTypeName" /> (or, when there is none yet, EF
    /// Core's <paramref name="defaultImplementationName" />, which EF Core then keeps as registered) by a
    /// <typeparamref name="TProxy" /> around the service it registers.
    /// </summary>
    private static void Decorate<TProxy>(
        IServiceCollection services,
        string serviceTypeName,
        string defaultImplementationName,
        Action<TProxy, object> setInner)
        where TProxy : DispatchProxy
    {
        var serviceType = Type.GetType(serviceTypeName + ", " + DesignAssembly, throwOnError: false);
        if (serviceType is null)
        {
            return;
        }

        var registrations = services.Where(d => d.ServiceType == serviceType && !d.IsKeyedService).ToList();
        if (registrations.Count == 0
            && Type.GetType(defaultImplementationName + ", " + DesignAssembly, throwOnError: false) is { } implementation)
        {
            registrations.Add(ServiceDescriptor.Singleton(serviceType, implementation));
        }

        foreach (var registration in registrations)
        {
            services.Remove(registration);
            services.Add(ServiceDescriptor.Describe(
                serviceType,
                provider =>
                {
                    var inner = registration.ImplementationInstance
                        ?? registration.ImplementationFactory?.Invoke(provider)
                        ?? ActivatorUtilities.CreateInstance(provider, registration.ImplementationType!);
                    var proxy = DispatchProxy.Create(serviceType, typeof(TProxy));
                    setInner((TProxy)proxy, inner);
                    return proxy;
                },
                registration.Lifetime));
        }
    }
}
