using System.Diagnostics.CodeAnalysis;
using DiskAnn.VectorData;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers DiskAnn vector stores and collections, in the conventions of the other Microsoft.Extensions.VectorData
/// connectors: the concrete type and its abstraction, optionally keyed, with an <see cref="IEmbeddingGenerator"/> taken
/// from the container when the options name none.
/// </summary>
public static class DiskAnnServiceCollectionExtensions
{
    private const string DynamicCodeMessage = "Maps records by reflection; incompatible with NativeAOT and trimming.";

    /// <summary>Registers a <see cref="DiskAnnVectorStore"/> as <see cref="VectorStore"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, such as <c>Data Source=app.db</c>.</param>
    /// <param name="options">Store options, or null.</param>
    /// <param name="lifetime">The lifetime; a singleton by default (the store keeps its connections open for reuse).</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddDiskAnnVectorStore(this IServiceCollection services, string connectionString, DiskAnnVectorStoreOptions? options = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
        => AddKeyedDiskAnnVectorStore(services, serviceKey: null, _ => connectionString, options is null ? null : _ => options, lifetime);

    /// <summary>Registers a <see cref="DiskAnnVectorStore"/> as <see cref="VectorStore"/>, its connection string and options read from the container.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionStringProvider">Gives the connection string, or null when the options have a <see cref="DiskAnnVectorStoreOptions.ConnectionFactory"/>.</param>
    /// <param name="optionsProvider">Gives the options, or null.</param>
    /// <param name="lifetime">The lifetime; a singleton by default.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddDiskAnnVectorStore(this IServiceCollection services, Func<IServiceProvider, string?> connectionStringProvider, Func<IServiceProvider, DiskAnnVectorStoreOptions>? optionsProvider = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
        => AddKeyedDiskAnnVectorStore(services, serviceKey: null, connectionStringProvider, optionsProvider, lifetime);

    /// <summary>Registers a keyed <see cref="DiskAnnVectorStore"/> as <see cref="VectorStore"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key of the registration.</param>
    /// <param name="connectionStringProvider">Gives the connection string, or null when the options have a <see cref="DiskAnnVectorStoreOptions.ConnectionFactory"/>.</param>
    /// <param name="optionsProvider">Gives the options, or null.</param>
    /// <param name="lifetime">The lifetime; a singleton by default.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddKeyedDiskAnnVectorStore(this IServiceCollection services, object? serviceKey, Func<IServiceProvider, string?> connectionStringProvider, Func<IServiceProvider, DiskAnnVectorStoreOptions>? optionsProvider = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(connectionStringProvider);
        services.Add(new ServiceDescriptor(typeof(DiskAnnVectorStore), serviceKey, (sp, _) =>
        {
            var options = new DiskAnnVectorStoreOptions(optionsProvider?.Invoke(sp));
            options.EmbeddingGenerator ??= sp.GetService<IEmbeddingGenerator>();
            var connectionString = connectionStringProvider(sp);
            return connectionString is null ? new DiskAnnVectorStore(options) : new DiskAnnVectorStore(connectionString, options);
        }, lifetime));
        services.Add(new ServiceDescriptor(typeof(VectorStore), serviceKey, static (sp, key) => sp.GetRequiredKeyedService<DiskAnnVectorStore>(key), lifetime));
        return services;
    }

    /// <summary>Registers a <see cref="DiskAnnCollection{TKey, TRecord}"/> as <see cref="VectorStoreCollection{TKey, TRecord}"/>, <see cref="IVectorSearchable{TRecord}"/> and <see cref="IKeywordHybridSearchable{TRecord}"/>.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TRecord">The record type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The collection's name.</param>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string.</param>
    /// <param name="options">Collection options, or null.</param>
    /// <param name="lifetime">The lifetime; a singleton by default.</param>
    /// <returns>The service collection.</returns>
    [RequiresDynamicCode(DynamicCodeMessage)]
    [RequiresUnreferencedCode(DynamicCodeMessage)]
    public static IServiceCollection AddDiskAnnCollection<TKey, TRecord>(this IServiceCollection services, string name, string connectionString, DiskAnnCollectionOptions? options = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
        where TKey : notnull
        where TRecord : class
        => AddKeyedDiskAnnCollection<TKey, TRecord>(services, serviceKey: null, name, _ => connectionString, options is null ? null : _ => options, lifetime);

    /// <summary>Registers a <see cref="DiskAnnCollection{TKey, TRecord}"/>, its connection string and options read from the container.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TRecord">The record type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The collection's name.</param>
    /// <param name="connectionStringProvider">Gives the connection string (ignored when the options have a <see cref="DiskAnnCollectionOptions.ConnectionFactory"/>).</param>
    /// <param name="optionsProvider">Gives the options, or null.</param>
    /// <param name="lifetime">The lifetime; a singleton by default.</param>
    /// <returns>The service collection.</returns>
    [RequiresDynamicCode(DynamicCodeMessage)]
    [RequiresUnreferencedCode(DynamicCodeMessage)]
    public static IServiceCollection AddDiskAnnCollection<TKey, TRecord>(this IServiceCollection services, string name, Func<IServiceProvider, string> connectionStringProvider, Func<IServiceProvider, DiskAnnCollectionOptions>? optionsProvider = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
        where TKey : notnull
        where TRecord : class
        => AddKeyedDiskAnnCollection<TKey, TRecord>(services, serviceKey: null, name, connectionStringProvider, optionsProvider, lifetime);

    /// <summary>Registers a keyed <see cref="DiskAnnCollection{TKey, TRecord}"/> as <see cref="VectorStoreCollection{TKey, TRecord}"/>, <see cref="IVectorSearchable{TRecord}"/> and <see cref="IKeywordHybridSearchable{TRecord}"/>.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TRecord">The record type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key of the registration.</param>
    /// <param name="name">The collection's name.</param>
    /// <param name="connectionStringProvider">Gives the connection string (ignored when the options have a <see cref="DiskAnnCollectionOptions.ConnectionFactory"/>).</param>
    /// <param name="optionsProvider">Gives the options, or null.</param>
    /// <param name="lifetime">The lifetime; a singleton by default.</param>
    /// <returns>The service collection.</returns>
    [RequiresDynamicCode(DynamicCodeMessage)]
    [RequiresUnreferencedCode(DynamicCodeMessage)]
    public static IServiceCollection AddKeyedDiskAnnCollection<TKey, TRecord>(this IServiceCollection services, object? serviceKey, string name, Func<IServiceProvider, string> connectionStringProvider, Func<IServiceProvider, DiskAnnCollectionOptions>? optionsProvider = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
        where TKey : notnull
        where TRecord : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(connectionStringProvider);
        services.Add(new ServiceDescriptor(typeof(DiskAnnCollection<TKey, TRecord>), serviceKey, (sp, _) =>
        {
            var options = new DiskAnnCollectionOptions(optionsProvider?.Invoke(sp));
            options.EmbeddingGenerator ??= sp.GetService<IEmbeddingGenerator>();
            return new DiskAnnCollection<TKey, TRecord>(connectionStringProvider(sp), name, options);
        }, lifetime));
        services.Add(new ServiceDescriptor(typeof(VectorStoreCollection<TKey, TRecord>), serviceKey, static (sp, key) => sp.GetRequiredKeyedService<DiskAnnCollection<TKey, TRecord>>(key), lifetime));
        services.Add(new ServiceDescriptor(typeof(IVectorSearchable<TRecord>), serviceKey, static (sp, key) => sp.GetRequiredKeyedService<DiskAnnCollection<TKey, TRecord>>(key), lifetime));
        services.Add(new ServiceDescriptor(typeof(IKeywordHybridSearchable<TRecord>), serviceKey, static (sp, key) => sp.GetRequiredKeyedService<DiskAnnCollection<TKey, TRecord>>(key), lifetime));
        return services;
    }
}
