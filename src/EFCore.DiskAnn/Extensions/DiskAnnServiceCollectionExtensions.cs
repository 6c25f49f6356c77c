using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Sqlite.Storage.Internal;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

// ReSharper disable once CheckNamespace
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>diskann</c> plugin's EF Core services.</summary>
public static class DiskAnnServiceCollectionExtensions
{
    /// <summary>
    /// Adds the services of the <c>diskann</c> plugin for the SQLite provider. <c>UseDiskAnn()</c> calls this; call it
    /// yourself only when you build EF Core's internal service provider.
    /// </summary>
    public static IServiceCollection AddEntityFrameworkSqliteDiskAnn(this IServiceCollection serviceCollection)
    {
        ArgumentNullException.ThrowIfNull(serviceCollection);

        new EntityFrameworkRelationalServicesBuilder(serviceCollection)
            .TryAdd<IRelationalTypeMappingSourcePlugin, DiskAnnTypeMappingSourcePlugin>()
            .TryAdd<IMethodCallTranslatorPlugin, DiskAnnMethodCallTranslatorPlugin>()
            .TryAdd<IEvaluatableExpressionFilterPlugin, DiskAnnEvaluatableExpressionFilterPlugin>()
            .TryAdd<IConventionSetPlugin, DiskAnnConventionSetPlugin>()
            .TryAdd<IInterceptor, DiskAnnConnectionInterceptor>();

        // SQLite registered these already (UseSqlite runs first), so TryAdd would do nothing: replace them.
        serviceCollection
            .Replace(ServiceDescriptor.Scoped<IMigrationsSqlGenerator, DiskAnnMigrationsSqlGenerator>())
            .Replace(ServiceDescriptor.Singleton<IRelationalAnnotationProvider, DiskAnnRelationalAnnotationProvider>())
            .Replace(ServiceDescriptor.Singleton<IMigrationsAnnotationProvider, DiskAnnMigrationsAnnotationProvider>())
            .Replace(ServiceDescriptor.Singleton<IQuerySqlGeneratorFactory, DiskAnnQuerySqlGeneratorFactory>())
            .Replace(ServiceDescriptor.Scoped<IQueryTranslationPostprocessorFactory, DiskAnnQueryTranslationPostprocessorFactory>())
            .Replace(ServiceDescriptor.Scoped<IRelationalParameterBasedSqlProcessorFactory, DiskAnnParameterBasedSqlProcessorFactory>())
            .Replace(ServiceDescriptor.Scoped<ISqliteRelationalConnection, DiskAnnRelationalConnection>());

        return serviceCollection;
    }
}
