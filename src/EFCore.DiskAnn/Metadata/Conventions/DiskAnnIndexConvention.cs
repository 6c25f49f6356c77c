using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Microsoft.EntityFrameworkCore.Metadata.Conventions;

/// <summary>
/// Checks each <c>diskann</c> index when the model is finalized (one vector property, a single-property key, included
/// properties and partition key the module can store) and gives its property the vector type mapping that knows the
/// index's metric and dimension.
/// </summary>
public class DiskAnnIndexConvention : IModelInitializedConvention, IModelFinalizingConvention
{
    // The models built with the plugin's conventions (UseDiskAnn()): HasDiskAnnIndex refuses any other.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyModel, object> DiskAnnModels = [];

    private readonly IRelationalTypeMappingSource? _typeMappingSource;

    /// <summary>Creates the convention.</summary>
    /// <param name="typeMappingSource">
    /// Gives the store type of included properties that have no type mapping yet; without it, only properties with
    /// one are checked.
    /// </param>
    public DiskAnnIndexConvention(IRelationalTypeMappingSource? typeMappingSource = null)
        => _typeMappingSource = typeMappingSource;

    /// <summary>Whether <paramref name="model" /> is being built with the plugin's conventions, that is with <c>UseDiskAnn()</c>.</summary>
    public static bool IsDiskAnnModel(IReadOnlyModel model) => DiskAnnModels.TryGetValue(model, out _);

    /// <summary>Marks the model as built with the plugin, which <c>HasDiskAnnIndex</c> checks.</summary>
    public virtual void ProcessModelInitialized(
        IConventionModelBuilder modelBuilder,
        IConventionContext<IConventionModelBuilder> context)
        => DiskAnnModels.AddOrUpdate(modelBuilder.Metadata, true);

    /// <inheritdoc />
    public virtual void ProcessModelFinalizing(
        IConventionModelBuilder modelBuilder,
        IConventionContext<IConventionModelBuilder> context)
    {
        foreach (var entityType in modelBuilder.Metadata.GetEntityTypes())
        {
            foreach (var index in entityType.GetDeclaredIndexes())
            {
                var options = index.GetDiskAnnOptions();
                if (options is null)
                {
                    continue;
                }

                options.Validate();
                var where = $"The diskann index on '{entityType.DisplayName()}'";
                if (index.Properties.Count != 1)
                {
                    throw new InvalidOperationException($"{where} must cover exactly one vector property.");
                }

                var property = index.Properties[0];
                if (!DiskAnnVectorTypeMapping.IsVectorType(property.ClrType))
                {
                    throw new InvalidOperationException(
                        $"{where} is on '{property.Name}' of type {property.ClrType.Name}; it must be float[] or ReadOnlyMemory<float>.");
                }

                // An integer key is the index's rowid; any other (Guid, string, converted) is mapped to one by the triggers.
                var key = entityType.FindPrimaryKey();
                if (key is null)
                {
                    throw new InvalidOperationException(
                        $"{where} needs a primary key (the index finds rows by it); '{entityType.DisplayName()}' has none. Give it a key with HasKey(...).");
                }

                if (key.Properties.Count != 1)
                {
                    throw new InvalidOperationException(
                        $"{where} needs a primary key of one property (the index finds rows by it); '{entityType.DisplayName()}' has the composite key "
                        + $"({string.Join(", ", key.Properties.Select(p => p.Name))}). Make it an alternate key and give the entity a single key (an int, long, Guid or string).");
                }

                // The key map compares keys byte by byte: a key that compares otherwise could match two keys of the map.
                if (key.Properties[0].GetCollation() is { } keyCollation && !keyCollation.Equals("BINARY", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException(
                        $"{where} needs a key that compares byte by byte; the key '{key.Properties[0].Name}' of '{entityType.DisplayName()}' has the collation {keyCollation}. "
                        + "Remove UseCollation from the key (or give the entity another key).");
                }

                CheckFilterProperties(entityType, index, property, key.Properties[0], where);
                property.Builder.HasTypeMapping(
                    new DiskAnnVectorTypeMapping(property.ClrType, options.Metric, options.Dimension));
            }
        }
    }

    /// <summary>
    /// Each included property and the partition key: a property of the entity, not the vector, not the key, named once,
    /// stored as INTEGER, REAL or TEXT (the partition key INTEGER or TEXT), in a column the module can name.
    /// </summary>
    private void CheckFilterProperties(
        IConventionEntityType entityType,
        IConventionIndex index,
        IConventionProperty vector,
        IConventionProperty key,
        string where)
    {
        var properties = index.GetDiskAnnFilterProperties();
        var columns = new List<DiskAnnFilterColumn>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, partitionKey) in properties)
        {
            var role = partitionKey ? "has the partition key" : "includes";
            if (!seen.Add(name))
            {
                throw new InvalidOperationException($"{where} includes '{name}' twice.");
            }

            var property = entityType.FindProperty(name)
                ?? throw new InvalidOperationException($"{where} {role} '{name}', which is not a property of '{entityType.DisplayName()}'.");
            if (property == vector)
            {
                throw new InvalidOperationException($"{where} {role} '{name}', its own vector property.");
            }

            if (property == key)
            {
                throw new InvalidOperationException(
                    $"{where} {role} '{name}', the key: the index finds rows by their key already, and a Where on it is part of the search without a filter column.");
            }

            var mapping = property.FindRelationalTypeMapping() ?? _typeMappingSource?.FindMapping((IProperty)property);
            if (mapping is null)
            {
                continue;
            }

            var type = DiskAnnFilterColumn.TypeOf(mapping.StoreType, mapping.Converter?.ProviderClrType ?? mapping.ClrType)
                ?? throw new InvalidOperationException(
                    $"{where} {role} '{name}' of type {property.ClrType.ShortDisplayName()}, stored as {mapping.StoreType}: an included property must be stored "
                    + "as INTEGER (integers, bool, enums), REAL (float, double, decimal) or TEXT (string, dates and times, Guid); give it a value converter to one of them.");
            if (partitionKey && type == DiskAnnFilterType.Real)
            {
                throw new InvalidOperationException(
                    $"{where} has the partition key '{name}' of type {property.ClrType.ShortDisplayName()}, stored as REAL: a partition key must be stored as INTEGER or TEXT.");
            }

            // The module compares text byte by byte: a column that compares otherwise would answer differently inside the search.
            if (type == DiskAnnFilterType.Text && property.GetCollation() is { } collation && !collation.Equals("BINARY", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"{where} {role} '{name}' with the collation {collation}: the index compares text byte by byte (BINARY); include only properties with the BINARY collation.");
            }

            columns.Add(new DiskAnnFilterColumn(property.GetColumnName(), type, partitionKey));
        }

        try
        {
            (index.GetDiskAnnOptions()! with { FilterColumns = columns }).Validate();
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"{where}: {e.Message}", e);
        }
    }
}
