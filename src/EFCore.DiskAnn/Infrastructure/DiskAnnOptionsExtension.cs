using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.EntityFrameworkCore.Infrastructure;

/// <summary>The options extension that <c>UseDiskAnn()</c> adds; it contributes the plugin's services.</summary>
public class DiskAnnOptionsExtension : IDbContextOptionsExtension
{
    private DbContextOptionsExtensionInfo? _info;

    /// <inheritdoc />
    public virtual DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    /// <inheritdoc />
    public virtual void ApplyServices(IServiceCollection services)
        => services.AddEntityFrameworkSqliteDiskAnn();

    /// <inheritdoc />
    public virtual void Validate(IDbContextOptions options)
    {
        var internalServiceProvider = options.FindExtension<CoreOptionsExtension>()?.InternalServiceProvider;
        if (internalServiceProvider is not null)
        {
            using var scope = internalServiceProvider.CreateScope();
            var plugins = scope.ServiceProvider.GetService<IEnumerable<Storage.IRelationalTypeMappingSourcePlugin>>();
            if (plugins is null || !plugins.Any(p => p is Storage.DiskAnnTypeMappingSourcePlugin))
            {
                throw new InvalidOperationException(
                    "UseDiskAnn() needs AddEntityFrameworkSqliteDiskAnn() on the application's internal service provider.");
            }
        }
    }

    private sealed class ExtensionInfo(IDbContextOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        public override bool IsDatabaseProvider => false;

        public override string LogFragment => "using DiskAnn ";

        public override int GetServiceProviderHashCode() => 0;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo)
            => debugInfo["DiskAnn:UseDiskAnn"] = "1";
    }
}
