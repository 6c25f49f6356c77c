using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.EntityFrameworkCore.Infrastructure;

/// <summary>The options extension that <c>UseDiskAnn()</c> adds; it contributes the plugin's services.</summary>
public class DiskAnnOptionsExtension : IDbContextOptionsExtension
{
    private DbContextOptionsExtensionInfo? _info;

    /// <summary>Creates the extension with no options.</summary>
    public DiskAnnOptionsExtension()
    {
    }

    /// <summary>Copies <paramref name="copyFrom" />, for the <c>With...</c> methods.</summary>
    /// <param name="copyFrom">The extension to copy.</param>
    protected DiskAnnOptionsExtension(DiskAnnOptionsExtension copyFrom)
    {
        ArgumentNullException.ThrowIfNull(copyFrom);
        SearchListSize = copyFrom.SearchListSize;
    }

    /// <summary>
    /// The search list size L of the context's index searches that do not give their own, or <see langword="null" /> for
    /// each index's <c>search_list_size</c>.
    /// </summary>
    public virtual int? SearchListSize { get; private set; }

    /// <summary>A copy of this extension with the context's search list size.</summary>
    /// <param name="searchListSize">L, from 1 to <see cref="DiskAnn.DiskAnnLimits.MaxK" />, or <see langword="null" /> for each index's own.</param>
    public virtual DiskAnnOptionsExtension WithSearchListSize(int? searchListSize)
    {
        Metadata.DiskAnnIndexOptions.CheckOption(DiskAnn.DiskAnnOptionSpec.SearchListSize, searchListSize, nameof(searchListSize), "UseDiskAnn(o => o.SearchListSize(...))");
        return new DiskAnnOptionsExtension(this) { SearchListSize = searchListSize };
    }

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

    // The search list size is written into compiled queries, so contexts with different ones do not share a service
    // provider (and its query cache).
    private sealed class ExtensionInfo(DiskAnnOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        private new DiskAnnOptionsExtension Extension => (DiskAnnOptionsExtension)base.Extension;

        public override bool IsDatabaseProvider => false;

        public override string LogFragment
            => Extension.SearchListSize is { } searchListSize
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"using DiskAnn SearchListSize={searchListSize} ")
                : "using DiskAnn ";

        public override int GetServiceProviderHashCode() => Extension.SearchListSize ?? 0;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other)
            => other is ExtensionInfo info && info.Extension.SearchListSize == Extension.SearchListSize;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo)
        {
            debugInfo["DiskAnn:UseDiskAnn"] = "1";
            debugInfo["DiskAnn:SearchListSize"] = (Extension.SearchListSize ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
