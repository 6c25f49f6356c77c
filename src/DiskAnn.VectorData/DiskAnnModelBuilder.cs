using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace DiskAnn.VectorData;

/// <summary>
/// Builds the collection model from attributes, a definition or a dynamic definition, refusing what the connector
/// cannot store: keys other than int, long, string and Guid, unsupported data or vector types, distance functions
/// the index does not have, and index kinds other than DiskAnn and Flat.
/// </summary>
internal sealed class DiskAnnModelBuilder() : CollectionModelBuilder(BuildingOptions)
{
    private static readonly CollectionModelBuildingOptions BuildingOptions = new()
    {
        RequiresAtLeastOneVector = false,
        SupportsMultipleVectors = true,
    };

    /// <summary>Keys are given by the application: the rowid the index needs is the data table's, not the key.</summary>
    protected override bool SupportsKeyAutoGeneration(Type keyPropertyType) => false;

    protected override void ValidateKeyProperty(KeyPropertyModel keyProperty)
    {
        base.ValidateKeyProperty(keyProperty);
        var type = keyProperty.Type;
        if (type != typeof(int) && type != typeof(long) && type != typeof(string) && type != typeof(Guid))
        {
            throw new NotSupportedException($"The key property '{keyProperty.ModelName}' has type '{type.Name}', which the DiskAnn connector does not support: a key is int, long, string or Guid.");
        }
    }

    protected override void ValidateProperty(PropertyModel propertyModel, VectorStoreCollectionDefinition? definition)
    {
        base.ValidateProperty(propertyModel, definition);
        if (propertyModel is VectorPropertyModel vector)
        {
            // Throws NotSupportedException naming what is supported.
            _ = DistanceFunctions.MetricOf(vector);
            _ = DistanceFunctions.IsFlat(vector);
        }
    }

    protected override bool IsDataPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = ValueConverter.SupportedDataTypes;
        return ValueConverter.IsSupported(type);
    }

    protected override bool IsVectorPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = VectorBlob.SupportedTypes;
        return VectorBlob.IsVectorType(type);
    }
}
