using Microsoft.Data.Sqlite;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace DiskAnn.VectorData;

/// <summary>Builds records from rows selected with <see cref="CollectionSchema.Columns"/>: key, data properties, then the vectors if asked for.</summary>
internal sealed class RecordReader<TRecord>(CollectionModel model, CollectionSchema schema)
{
    /// <summary>The number of columns a record takes, without and with vectors.</summary>
    public int ColumnCount(bool includeVectors) => 1 + model.DataProperties.Count + (includeVectors ? schema.Vectors.Count : 0);

    public TRecord Read(SqliteDataReader reader, bool includeVectors)
    {
        var record = model.CreateRecord<TRecord>()!;
        var key = model.KeyProperty;
        key.SetValueAsObject(record, ValueConverter.FromDb(reader, 0, key.Type));
        var ordinal = 1;
        foreach (var property in model.DataProperties)
        {
            property.SetValueAsObject(record, ValueConverter.FromDb(reader, ordinal++, property.Type));
        }

        if (includeVectors)
        {
            foreach (var vector in schema.Vectors)
            {
                var value = reader.IsDBNull(ordinal) ? null : VectorBlob.FromBlob((byte[])reader.GetValue(ordinal), vector.Property.Type);
                ordinal++;
                vector.Property.SetValueAsObject(record, value);
            }
        }

        return record;
    }
}
