using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace DiskAnn.VectorData;

/// <summary>Vector search, hybrid search and filtered retrieval.</summary>
public partial class DiskAnnCollection<TKey, TRecord>
{
    /// <summary>The constant of reciprocal rank fusion, score = Σ 1 / (60 + rank): the value of the RRF paper and of the other connectors.</summary>
    private const int RrfConstant = 60;

    /// <summary>
    /// The records nearest to <paramref name="searchValue"/>, nearest first. The score is the distance function's value
    /// (CosineDistance 1 - cos, EuclideanDistance, NegativeDotProductSimilarity -a·b): smaller is nearer, and
    /// <see cref="VectorSearchOptions{TRecord}.ScoreThreshold"/> keeps the results whose score is at most the threshold.
    /// The filter is evaluated inside the search, so <paramref name="top"/> results come back whenever that many records pass.
    /// </summary>
    /// <typeparam name="TInput">A vector (<see cref="ReadOnlyMemory{T}"/> of float, float[], <see cref="Embedding{T}"/> of float), or what the property's embedding generator accepts (a string).</typeparam>
    /// <param name="searchValue">The value to search for.</param>
    /// <param name="top">The number of results.</param>
    /// <param name="options">Filter, skip, vector property, score threshold, whether to return vectors.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The results with their scores.</returns>
    public override async IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(
        TInput searchValue, int top, VectorSearchOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(searchValue);
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= DefaultSearchOptions;
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip, nameof(options.Skip));
        var includeVectors = IncludeVectors(options.IncludeVectors);
        var property = _model.GetVectorPropertyOrSingle(options);
        var column = _schema.VectorOf(property);
        var query = await QueryVectorAsync(property, searchValue, cancellationToken).ConfigureAwait(false);
        var k = CheckedK(top + options.Skip);

        var parameters = options.Filter is null ? null : new List<KeyValuePair<string, object>>();
        var sql = SearchSql(column, options.Filter, parameters, includeVectors, options.ScoreThreshold is not null);
        var scoreOrdinal = _reader.ColumnCount(includeVectors);
        var results = Run("Search", session =>
        {
            var command = session.Command(sql);
            command.Bind("@q", VectorBlob.ToBlob(query.Span));
            command.Bind("@k", k);
            if (parameters is not null)
            {
                command.Bind(parameters);
            }

            BindSearchListSize(command, column, k);
            if (options.ScoreThreshold is { } threshold)
            {
                command.Bind("@threshold", threshold);
            }

            return ReadResults(command, options.Skip, top, includeVectors, scoreOrdinal);
        });
        foreach (var result in results)
        {
            yield return result;
        }
    }

    /// <summary>
    /// Hybrid search: the vector search and an FTS5 search for any of <paramref name="keywords"/> (BM25 ranking), each
    /// taking the best max(20, 2 × (top + skip)) candidates that pass the filter, fused by reciprocal rank fusion. The
    /// score is Σ 1 / (60 + rank) over the two lists (higher is better, at most 2/61); <see cref="HybridSearchOptions{TRecord}.ScoreThreshold"/>
    /// keeps the results scoring at least the threshold. A record matching the keywords only, or the vector only, can come back.
    /// </summary>
    /// <typeparam name="TInput">A vector type or what the vector property's embedding generator accepts.</typeparam>
    /// <param name="searchValue">The value for the vector search.</param>
    /// <param name="keywords">Words for the full-text search (each matched as a word or phrase; any of them matches).</param>
    /// <param name="top">The number of results.</param>
    /// <param name="options">Filter, skip, vector and full-text properties, score threshold, whether to return vectors.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The fused results with their scores, best first.</returns>
    public async IAsyncEnumerable<VectorSearchResult<TRecord>> HybridSearchAsync<TInput>(
        TInput searchValue, ICollection<string> keywords, int top, HybridSearchOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where TInput : notnull
    {
        ArgumentNullException.ThrowIfNull(searchValue);
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(keywords);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= DefaultHybridOptions;
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip, nameof(options.Skip));
        var includeVectors = IncludeVectors(options.IncludeVectors);
        var property = _model.GetVectorPropertyOrSingle(new VectorSearchOptions<TRecord> { VectorProperty = options.VectorProperty });
        var textProperty = _model.GetFullTextDataPropertyOrSingle(options.AdditionalProperty);
        var column = _schema.VectorOf(property);
        var query = await QueryVectorAsync(property, searchValue, cancellationToken).ConfigureAwait(false);
        var candidates = CheckedK(Math.Max(20, 2 * (top + options.Skip)));
        var match = FullTextQuery(textProperty, keywords);

        var parameters = new List<KeyValuePair<string, object>>();
        var sql = new StringBuilder("WITH v(r, rk) AS (SELECT r, row_number() OVER (ORDER BY distance) FROM (")
            .Append(CandidatesSql(column, options.Filter, parameters, "@k")).Append(")), ");
        if (match is not null)
        {
            sql.Append("t(r, rk) AS (SELECT r, row_number() OVER (ORDER BY rank) FROM (SELECT rowid AS r, rank FROM ").Append(_schema.FtsTable)
                .Append(" WHERE ").Append(_schema.FtsTable).Append(" MATCH @match");
            if (options.Filter is not null)
            {
                sql.Append(" AND rowid IN (SELECT d.").Append(_schema.RowIdColumn).Append(" FROM ").Append(_schema.DataTable).Append(" AS d WHERE ")
                    .Append(FilterTranslator.TranslateAll(options.Filter, _schema, parameters)).Append(')');
            }

            sql.Append(" ORDER BY rank LIMIT @k)), ");
        }

        sql.Append("f(r, score) AS (SELECT r, sum(1.0 / (").Append(RrfConstant).Append(" + rk)) FROM (SELECT r, rk FROM v");
        if (match is not null)
        {
            sql.Append(" UNION ALL SELECT r, rk FROM t");
        }

        sql.Append(") GROUP BY r) SELECT ").Append(_schema.Columns(includeVectors)).Append(", f.score FROM f JOIN ").Append(_schema.DataTable)
            .Append(" AS d ON d.").Append(_schema.RowIdColumn).Append(" = f.r");
        if (options.ScoreThreshold is not null)
        {
            sql.Append(" WHERE f.score >= @threshold");
        }

        sql.Append(" ORDER BY f.score DESC, f.r");
        var scoreOrdinal = _reader.ColumnCount(includeVectors);
        var results = Run("HybridSearch", session =>
        {
            var command = session.Command(sql.ToString());
            command.Bind("@q", VectorBlob.ToBlob(query.Span));
            command.Bind("@k", candidates);
            command.Bind(parameters);
            BindSearchListSize(command, column, candidates);
            if (match is not null)
            {
                command.Bind("@match", match);
            }

            if (options.ScoreThreshold is { } threshold)
            {
                command.Bind("@threshold", threshold);
            }

            return ReadResults(command, options.Skip, top, includeVectors, scoreOrdinal);
        });
        foreach (var result in results)
        {
            yield return result;
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<TRecord> GetAsync(
        Expression<Func<TRecord, bool>> filter, int top, FilteredRecordRetrievalOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= new FilteredRecordRetrievalOptions<TRecord>();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip, nameof(options.Skip));
        var includeVectors = IncludeVectors(options.IncludeVectors);
        var parameters = new List<KeyValuePair<string, object>>();
        var sql = new StringBuilder("SELECT ").Append(_schema.Columns(includeVectors)).Append(" FROM ").Append(_schema.DataTable)
            .Append(" AS d WHERE ").Append(FilterTranslator.TranslateAll(filter, _schema, parameters));
        var orderBy = options.OrderBy?.Invoke(new()).Values;
        if (orderBy is { Count: > 0 })
        {
            sql.Append(" ORDER BY ");
            for (var i = 0; i < orderBy.Count; i++)
            {
                var sort = orderBy[i];
                var property = _model.GetDataOrKeyProperty(sort.PropertySelector);
                sql.Append(i > 0 ? ", d." : "d.").AppendQuoted(property.StorageName).Append(sort.Ascending ? " ASC" : " DESC");
            }
        }

        sql.Append(" LIMIT @top OFFSET @skip");
        var records = Run("Get", session =>
        {
            var command = session.Command(sql.ToString());
            command.Bind("@top", top);
            command.Bind("@skip", options.Skip);
            command.Bind(parameters);
            return ReadAll(command, includeVectors);
        });
        foreach (var record in records)
        {
            yield return record;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>
    /// The SQL of a vector search: the candidates joined to the data table, nearest first. No LIMIT/OFFSET: k is already
    /// top + skip, the skip is read past in <see cref="ReadResults"/>, and a LIMIT here would cost SQLite a sorter
    /// (measured: about 13 µs a query, a tenth of a search). Without a filter the text depends only on the vector
    /// property, IncludeVectors and whether there is a threshold, so it is made once.
    /// </summary>
    private string SearchSql(VectorColumn column, Expression<Func<TRecord, bool>>? filter, List<KeyValuePair<string, object>>? parameters, bool includeVectors, bool threshold)
    {
        var slot = (column.Position * 4) + (includeVectors ? 2 : 0) + (threshold ? 1 : 0);
        if (filter is null && _searchSql[slot] is { } cached)
        {
            return cached;
        }

        var sql = new StringBuilder("SELECT ").Append(_schema.Columns(includeVectors)).Append(", n.distance FROM (")
            .Append(CandidatesSql(column, filter, parameters!, "@k"))
            .Append(") AS n JOIN ").Append(_schema.DataTable).Append(" AS d ON d.").Append(_schema.RowIdColumn).Append(" = n.r");
        if (threshold)
        {
            sql.Append(" WHERE n.distance <= @threshold");
        }

        sql.Append(" ORDER BY n.distance");
        var text = sql.ToString();
        if (filter is null)
        {
            _searchSql[slot] = text;
        }

        return text;
    }

    /// <summary>Reads past <paramref name="skip"/> rows, then up to <paramref name="top"/> results; the score is the last column.</summary>
    private List<VectorSearchResult<TRecord>> ReadResults(Microsoft.Data.Sqlite.SqliteCommand command, int skip, int top, bool includeVectors, int scoreOrdinal)
    {
        var list = new List<VectorSearchResult<TRecord>>(top);
        using var reader = command.ExecuteReader();
        for (var row = 0; list.Count < top && reader.Read(); row++)
        {
            if (row >= skip)
            {
                list.Add(new VectorSearchResult<TRecord>(_reader.Read(reader, includeVectors), reader.GetDouble(scoreOrdinal)));
            }
        }

        return list;
    }

    private static readonly VectorSearchOptions<TRecord> DefaultSearchOptions = new();
    private static readonly HybridSearchOptions<TRecord> DefaultHybridOptions = new();

    /// <summary>The candidates subquery (r, distance) of a vector property, the filter split between the index and the data table.</summary>
    private string CandidatesSql(VectorColumn column, Expression<Func<TRecord, bool>>? filter, List<KeyValuePair<string, object>>? parameters, string k)
    {
        string? pushed = null, residual = null;
        if (filter is not null)
        {
            if (column.Flat)
            {
                residual = FilterTranslator.TranslateAll(filter, _schema, parameters!);
            }
            else
            {
                var split = FilterTranslator.TranslateForIndex(filter, _schema, parameters!);
                (pushed, residual) = (split.Pushed, split.Residual);
            }
        }

        var sql = _schema.CandidatesSql(column, pushed, residual, k);
        return !column.Flat && _searchListSize is not null ? sql + " AND search_list_size = @L" : sql;
    }

    /// <summary>A search for k results needs a candidate list of at least k: the module's default is 64.</summary>
    private void BindSearchListSize(Microsoft.Data.Sqlite.SqliteCommand command, VectorColumn column, int k)
    {
        if (!column.Flat && _searchListSize is { } l)
        {
            command.Bind("@L", Math.Max(l, k));
        }
    }

    private static int CheckedK(int k)
        => k <= DiskAnnLimits.MaxK ? k : throw new ArgumentOutOfRangeException(nameof(k), k, $"A search asks the index for top + skip results (or more for hybrid search), which may not exceed {DiskAnnLimits.MaxK}.");

    /// <summary>The query vector: the value itself, or its embedding by the property's generator.</summary>
    private static async ValueTask<ReadOnlyMemory<float>> QueryVectorAsync<TInput>(VectorPropertyModel property, TInput value, CancellationToken cancellationToken)
        where TInput : notnull
    {
        ReadOnlyMemory<float> vector;
        if (VectorBlob.TryGet(value, out var given))
        {
            vector = given;
        }
        else if (property.EmbeddingGenerator is not null)
        {
            var embedding = await property.GenerateEmbeddingAsync(value, cancellationToken).ConfigureAwait(false);
            vector = embedding is Embedding<float> floats
                ? floats.Vector
                : throw new InvalidOperationException($"The embedding generator of vector property '{property.ModelName}' returned {embedding.GetType().Name}; the DiskAnn connector stores Embedding<float>.");
        }
        else
        {
            throw new NotSupportedException($"A search value of type '{value.GetType().Name}' needs an IEmbeddingGenerator for vector property '{property.ModelName}', and none is configured; pass one of {VectorBlob.SupportedTypes}, or configure a generator.");
        }

        CheckDimensions(property, vector.Length, "The search vector");
        return vector;
    }

    /// <summary>An FTS5 query matching any keyword, each quoted (so FTS5 syntax in a keyword is text), confined to the property's column; null for no keywords.</summary>
    private static string? FullTextQuery(DataPropertyModel property, ICollection<string> keywords)
    {
        var terms = keywords.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => "\"" + k.Replace("\"", "\"\"") + "\"").ToList();
        return terms.Count == 0 ? null : $"{{{"\"" + property.StorageName.Replace("\"", "\"\"") + "\""}}} : ({string.Join(" OR ", terms)})";
    }
}
