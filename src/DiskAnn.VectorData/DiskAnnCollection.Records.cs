using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace DiskAnn.VectorData;

/// <summary>Get, upsert and delete by key.</summary>
public partial class DiskAnnCollection<TKey, TRecord>
{
    /// <inheritdoc />
    public override Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(key);
        var includeVectors = IncludeVectors(options?.IncludeVectors ?? false);
        var result = Run("Get", session =>
        {
            var command = session.Command(_schema.GetByKeySql(includeVectors));
            command.Bind("@key", KeyToDb(key));
            using var reader = command.ExecuteReader();
            return reader.Read() ? _reader.Read(reader, includeVectors) : null;
        });
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<TRecord> GetAsync(IEnumerable<TKey> keys, RecordRetrievalOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(keys);
        var json = KeysToJson(keys);
        if (json is null)
        {
            yield break;
        }

        var includeVectors = IncludeVectors(options?.IncludeVectors ?? false);
        var records = Run("Get", session =>
        {
            var command = session.Command(_schema.GetByKeysSql(includeVectors));
            command.Bind("@keys", json);
            return ReadAll(command, includeVectors);
        });
        foreach (var record in records)
        {
            yield return record;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task DeleteAsync(TKey key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(key);
        Run("Delete", session =>
        {
            // The data row's delete trigger removes its index and FTS5 rows in the same statement.
            var command = session.Command(_schema.DeleteByKeySql);
            command.Bind("@key", KeyToDb(key));
            return command.ExecuteNonQuery();
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task DeleteAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(keys);
        var json = KeysToJson(keys);
        if (json is not null)
        {
            Run("Delete", session =>
            {
                var command = session.Command(_schema.DeleteByKeysSql);
                command.Bind("@keys", json);
                return command.ExecuteNonQuery();
            });
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(record);
        return UpsertAsync([record], cancellationToken);
    }

    /// <summary>
    /// Inserts or replaces the records in one transaction: all of them are stored, or (on any error) none. Vector
    /// properties that need embedding generation are embedded first, one batch per property. The index links the
    /// new vectors when the transaction commits, in parallel, so a large batch is much faster than records one by one.
    /// </summary>
    /// <param name="records">The records.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the records are stored.</returns>
    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(records);
        var list = records as IReadOnlyList<TRecord> ?? records.ToList();
        if (list.Count == 0)
        {
            return;
        }

        // One vector array per vector property (in schema order), generated where the property is not a vector itself.
        var vectors = new ReadOnlyMemory<float>?[_schema.Vectors.Count][];
        for (var v = 0; v < _schema.Vectors.Count; v++)
        {
            vectors[v] = await VectorsOf(_schema.Vectors[v].Property, list, cancellationToken).ConfigureAwait(false);
        }

        Run("Upsert", session =>
        {
            session.Begin();
            var written = _schema.WrittenProperties;
            var data = session.Command(_schema.UpsertDataSql);
            for (var i = 0; i < list.Count; i++)
            {
                var record = list[i] ?? throw new ArgumentException("A record in the batch is null.", nameof(records));
                for (var p = 0; p < written.Count; p++)
                {
                    var property = written[p];
                    object value = property is VectorPropertyModel vector
                        ? vectors[_schema.VectorOf(vector).Position][i] is { } flat ? VectorBlob.ToBlob(flat.Span) : DBNull.Value
                        : ValueConverter.ToDb(property.GetValueAsObject(record), property.Type);
                    if (property is KeyPropertyModel && value is DBNull)
                    {
                        throw new ArgumentException($"A record has no key: its property '{property.ModelName}' is null.", nameof(records));
                    }

                    data.Bind(ParameterNames.P(p), value);
                }

                var rowId = (long)data.ExecuteScalar()!;
                for (var v = 0; v < _schema.Vectors.Count; v++)
                {
                    var column = _schema.Vectors[v];
                    if (column.Flat)
                    {
                        continue;
                    }

                    if (vectors[v][i] is not { } vector)
                    {
                        var delete = session.Command(column.DeleteSql!);
                        delete.Bind("@r", rowId);
                        delete.ExecuteNonQuery();
                        continue;
                    }

                    var index = session.Command(column.UpsertSql!);
                    index.Bind("@r", rowId);
                    index.Bind("@v", VectorBlob.ToBlob(vector.Span));
                    for (var f = 0; f < _schema.FilterColumns.Count; f++)
                    {
                        var property = _schema.FilterColumns[f];
                        index.Bind(ParameterNames.F(f), ValueConverter.ToDb(property.GetValueAsObject(record), property.Type));
                    }

                    index.ExecuteNonQuery();
                }
            }

            session.Commit();
            return true;
        });
    }

    /// <summary>The vectors of one property for every record, embedded by its generator when the property is not a vector type, each checked against the dimensions.</summary>
    private static async Task<ReadOnlyMemory<float>?[]> VectorsOf(VectorPropertyModel property, IReadOnlyList<TRecord> records, CancellationToken cancellationToken)
    {
        var result = new ReadOnlyMemory<float>?[records.Count];
        if (VectorBlob.IsVectorType(property.Type))
        {
            for (var i = 0; i < records.Count; i++)
            {
                var value = records[i] is null ? null : property.GetValueAsObject(records[i]);
                // An empty vector is no vector: the record is stored, not indexed. (Not "? vector : null": null would convert
                // to an empty ReadOnlyMemory through its implicit conversion from float[].)
                result[i] = VectorBlob.TryGet(value, out var vector) && vector.Length > 0 ? vector : default(ReadOnlyMemory<float>?);
            }
        }
        else
        {
            if (property.EmbeddingGenerator is null)
            {
                throw new InvalidOperationException($"The vector property '{property.ModelName}' has type '{property.Type.Name}', which needs an IEmbeddingGenerator (on the property, the collection or the store); none is configured.");
            }

            var inputs = new List<object?>(records.Count);
            var positions = new List<int>(records.Count);
            for (var i = 0; i < records.Count; i++)
            {
                if (records[i] is not null && property.GetValueAsObject(records[i]) is { } input)
                {
                    inputs.Add(input);
                    positions.Add(i);
                }
            }

            if (inputs.Count > 0)
            {
                var generated = await property.GenerateEmbeddingsAsync(inputs!, cancellationToken).ConfigureAwait(false);
                var embeddings = (IReadOnlyList<Embedding<float>>)generated;
                for (var j = 0; j < positions.Count; j++)
                {
                    result[positions[j]] = embeddings[j].Vector;
                }
            }
        }

        foreach (var vector in result)
        {
            if (vector is { } v)
            {
                CheckDimensions(property, v.Length, "A record's vector");
            }
        }

        return result;
    }

    internal static void CheckDimensions(VectorPropertyModel property, int length, string what)
    {
        if (length != property.Dimensions)
        {
            throw new ArgumentException($"{what} for property '{property.ModelName}' has {length} dimensions, but the property is declared with {property.Dimensions}.");
        }
    }

    private bool IncludeVectors(bool requested)
    {
        if (requested && _model.EmbeddingGenerationRequired)
        {
            throw new NotSupportedException("IncludeVectors is not supported when a vector property is generated by an IEmbeddingGenerator: the record's property holds the source (a string), not the vector.");
        }

        return requested && _schema.Vectors.Count > 0;
    }

    private object KeyToDb(object key) => ValueConverter.ToDb(key, _model.KeyProperty.Type);

    /// <summary>The keys as one JSON array (the statement reads them with json_each), or null for none.</summary>
    private string? KeysToJson(IEnumerable<TKey> keys)
    {
        var values = new List<object>();
        foreach (var key in keys)
        {
            ArgumentNullException.ThrowIfNull(key, nameof(keys));
            values.Add(KeyToDb(key));
        }

        return values.Count == 0 ? null : JsonSerializer.Serialize(values);
    }

    private List<TRecord> ReadAll(Microsoft.Data.Sqlite.SqliteCommand command, bool includeVectors)
    {
        var records = new List<TRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            records.Add(_reader.Read(reader, includeVectors));
        }

        return records;
    }
}
