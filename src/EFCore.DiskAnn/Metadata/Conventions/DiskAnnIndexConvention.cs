using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage;

namespace Microsoft.EntityFrameworkCore.Metadata.Conventions;

/// <summary>
/// Checks each <c>diskann</c> index when the model is finalized (one vector property, a single integer key) and gives
/// its property the vector type mapping that knows the index's metric and dimension.
/// </summary>
public class DiskAnnIndexConvention : IModelFinalizingConvention
{
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

                var key = entityType.FindPrimaryKey();
                if (key is not { Properties.Count: 1 } || !IsInteger(key.Properties[0].ClrType))
                {
                    throw new InvalidOperationException(
                        $"{where} needs a single integer primary key (it is the rowid of the index); '{entityType.DisplayName()}' has none.");
                }

                property.Builder.HasTypeMapping(
                    new DiskAnnVectorTypeMapping(property.ClrType, options.Metric, options.Dimension));
            }
        }
    }

    private static bool IsInteger(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(long) || type == typeof(int) || type == typeof(short) || type == typeof(byte)
            || type == typeof(uint) || type == typeof(ushort) || type == typeof(sbyte);
    }
}
