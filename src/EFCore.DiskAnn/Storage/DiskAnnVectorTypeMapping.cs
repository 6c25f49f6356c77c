
using System.Globalization;
using System.Text;
using DiskAnn;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Microsoft.EntityFrameworkCore.Storage;

/// <summary>
/// Maps a vector (<c>float[]</c> or <c>ReadOnlyMemory&lt;float&gt;</c>) to a SQLite BLOB of float32 little-endian values,
/// the form the <c>diskann</c> table and the <c>vector_distance_*</c> functions take. When the column carries a
/// <c>diskann</c> index the mapping also knows its metric and dimension: <c>VectorDistance</c> uses that metric, and a
/// vector of another length is refused before it reaches SQLite.
/// </summary>
public class DiskAnnVectorTypeMapping : RelationalTypeMapping
{
    /// <summary>The store type: BLOB.</summary>
    public const string BlobStoreType = "BLOB";

    /// <summary>Creates the mapping for <paramref name="clrType" /> (<c>float[]</c> or <c>ReadOnlyMemory&lt;float&gt;</c>).</summary>
    public DiskAnnVectorTypeMapping(Type clrType, DiskAnnMetric? metric = null, int? dimension = null)
        : this(CreateParameters(clrType, dimension), metric, dimension)
    {
    }

    /// <summary>Creates a copy of a mapping with other parameters.</summary>
    protected DiskAnnVectorTypeMapping(RelationalTypeMappingParameters parameters, DiskAnnMetric? metric, int? dimension)
        : base(parameters)
    {
        Metric = metric;
        Dimension = dimension;
    }

    /// <summary>Whether <paramref name="type" /> is a vector type this plugin maps.</summary>
    public static bool IsVectorType(Type type)
        => type == typeof(float[]) || type == typeof(ReadOnlyMemory<float>) || type == typeof(ReadOnlyMemory<float>?);

    /// <summary>The metric of the <c>diskann</c> index on the column, if it has one.</summary>
    public virtual DiskAnnMetric? Metric { get; }

    /// <summary>The dimension of the <c>diskann</c> index on the column, if it has one.</summary>
    public virtual int? Dimension { get; }

    /// <summary>This mapping, for a column indexed with the given metric and dimension.</summary>
    public virtual DiskAnnVectorTypeMapping WithIndex(DiskAnnMetric metric, int dimension)
        => new(ClrType, metric, dimension);

    /// <inheritdoc />
    protected override RelationalTypeMapping Clone(RelationalTypeMappingParameters parameters)
        => new DiskAnnVectorTypeMapping(parameters, Metric, Dimension);

    /// <inheritdoc />
    protected override string GenerateNonNullSqlLiteral(object value)
    {
        var blob = value switch
        {
            byte[] bytes => bytes,
            float[] floats => DiskAnnVector.ToBlob(floats),
            ReadOnlyMemory<float> memory => DiskAnnVector.ToBlob(memory.Span),
            _ => throw new InvalidOperationException($"Cannot write a {value.GetType().Name} as a vector literal."),
        };

        var builder = new StringBuilder(3 + (blob.Length * 2)).Append("X'");
        foreach (var b in blob)
        {
            builder.Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }

        return builder.Append('\'').ToString();
    }

    private static RelationalTypeMappingParameters CreateParameters(Type clrType, int? dimension)
    {
        var d = dimension ?? 0;
        ValueConverter converter;
        ValueComparer comparer;
        if (clrType == typeof(float[]))
        {
            converter = new ValueConverter<float[], byte[]>(
                v => DiskAnnVectorConversions.ToBlob(v, d),
                b => DiskAnnVectorConversions.ToArray(b));
            comparer = new ValueComparer<float[]>(
                (a, b) => DiskAnnVectorConversions.ArrayEquals(a, b),
                v => DiskAnnVectorConversions.ArrayHash(v),
                v => DiskAnnVectorConversions.ArraySnapshot(v));
        }
        else if (clrType == typeof(ReadOnlyMemory<float>) || clrType == typeof(ReadOnlyMemory<float>?))
        {
            clrType = typeof(ReadOnlyMemory<float>);
            converter = new ValueConverter<ReadOnlyMemory<float>, byte[]>(
                v => DiskAnnVectorConversions.ToBlob(v, d),
                b => DiskAnnVectorConversions.ToMemory(b));
            comparer = new ValueComparer<ReadOnlyMemory<float>>(
                (a, b) => DiskAnnVectorConversions.MemoryEquals(a, b),
                v => DiskAnnVectorConversions.MemoryHash(v),
                v => DiskAnnVectorConversions.MemorySnapshot(v));
        }
        else
        {
            throw new ArgumentException($"{clrType.Name} is not a vector type: use float[] or ReadOnlyMemory<float>.", nameof(clrType));
        }

        return new RelationalTypeMappingParameters(
            new CoreTypeMappingParameters(clrType, converter, comparer),
            BlobStoreType,
            StoreTypePostfix.None,
            System.Data.DbType.Binary);
    }
}
