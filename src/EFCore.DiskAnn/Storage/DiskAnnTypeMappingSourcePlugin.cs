namespace Microsoft.EntityFrameworkCore.Storage;

/// <summary>Maps <c>float[]</c> and <c>ReadOnlyMemory&lt;float&gt;</c> to float32 BLOBs (not to JSON primitive collections).</summary>
public class DiskAnnTypeMappingSourcePlugin : IRelationalTypeMappingSourcePlugin
{
    private static readonly DiskAnnVectorTypeMapping ArrayMapping = new(typeof(float[]));
    private static readonly DiskAnnVectorTypeMapping MemoryMapping = new(typeof(ReadOnlyMemory<float>));

    /// <inheritdoc />
    public virtual RelationalTypeMapping? FindMapping(in RelationalTypeMappingInfo mappingInfo)
    {
        var clrType = mappingInfo.ClrType;
        if (clrType is null || !DiskAnnVectorTypeMapping.IsVectorType(clrType))
        {
            return null;
        }

        if (mappingInfo.StoreTypeName is { } storeType
            && !storeType.Equals(DiskAnnVectorTypeMapping.BlobStoreType, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return clrType == typeof(float[]) ? ArrayMapping : MemoryMapping;
    }
}
