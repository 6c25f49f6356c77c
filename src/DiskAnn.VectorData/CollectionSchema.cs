using System.Text;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace DiskAnn.VectorData;

/// <summary>
/// The tables of one collection and the SQL that reads and writes them, derived once from the model.
/// <list type="bullet">
/// <item>The data table, named as the collection: the key, the data properties and the vectors of Flat properties.
/// Its rowid is an explicit <c>INTEGER PRIMARY KEY</c> column: the int or long key itself, or for string and Guid keys
/// a column <c>__rowid</c> beside the key (UNIQUE). An explicit alias matters because the index refers to rows by rowid,
/// and VACUUM may renumber an implicit rowid but never an INTEGER PRIMARY KEY.</item>
/// <item>One diskann table per DiskAnn vector property (<c>{collection}__vec_{property}</c>), whose rowid is the data
/// row's and whose filter columns are the IsIndexed data properties, so filters run inside the graph search.</item>
/// <item>An FTS5 table (<c>{collection}__fts</c>, external content: it indexes the data table's text without a copy) for
/// IsFullTextIndexed properties.</item>
/// <item>Triggers on the data table that keep the FTS5 table and the index's filter columns in step, and delete index
/// rows with their data row, so that plain SQL on the data table keeps them consistent too.</item>
/// </list>
/// </summary>
internal sealed class CollectionSchema
{
    /// <summary>Written into the data table's CREATE statement (SQLite keeps it in sqlite_master) to tell collections from other tables.</summary>
    public const string Marker = "/* diskann-vectordata */";

    private const string SurrogateRowId = "__rowid";

    public CollectionSchema(string name, CollectionModel model)
    {
        Name = name;
        Model = model;
        DataTable = Sql.Quote(name);
        var keyType = model.KeyProperty.Type;
        IntegerKey = keyType == typeof(int) || keyType == typeof(long);
        RowIdColumn = Sql.Quote(IntegerKey ? model.KeyProperty.StorageName : SurrogateRowId);
        KeyColumn = Sql.Quote(model.KeyProperty.StorageName);

        var vectors = new List<VectorColumn>();
        foreach (var vector in model.VectorProperties)
        {
            var flat = DistanceFunctions.IsFlat(vector);
            vectors.Add(new VectorColumn(vector, DistanceFunctions.MetricOf(vector), flat, flat ? null : Sql.Quote($"{name}__vec_{vector.StorageName}"), vectors.Count));
        }

        Vectors = vectors;
        FilterColumns = model.DataProperties
            .Where(p => p.IsIndexed && ValueConverter.StorageType(p.Type) is "INTEGER" or "REAL" or "TEXT" && ValueConverter.ElementType(p.Type) is null
                && !IsReservedInIndex(p.StorageName))
            .Take(DiskAnnLimits.MaxFilterColumns)
            .ToList();
        foreach (var vector in vectors.Where(v => !v.Flat))
        {
            vector.UpsertSql = UpsertIndexSql(vector.IndexTable!);
            vector.DeleteSql = $"DELETE FROM {vector.IndexTable} WHERE rowid = @r";
        }

        FullTextColumns = model.DataProperties.Where(p => p.IsFullTextIndexed && (Nullable.GetUnderlyingType(p.Type) ?? p.Type) == typeof(string)).ToList();
        FtsTable = FullTextColumns.Count > 0 ? Sql.Quote($"{name}__fts") : null;
        SelectColumns = BuildSelectColumns(includeVectors: false);
        SelectColumnsWithVectors = BuildSelectColumns(includeVectors: true);
    }

    public string Name { get; }

    public CollectionModel Model { get; }

    /// <summary>The quoted name of the data table.</summary>
    public string DataTable { get; }

    /// <summary>True when the key is the data table's rowid (int and long keys).</summary>
    public bool IntegerKey { get; }

    /// <summary>The quoted INTEGER PRIMARY KEY column of the data table: the rowid of the index rows.</summary>
    public string RowIdColumn { get; }

    public string KeyColumn { get; }

    public IReadOnlyList<VectorColumn> Vectors { get; }

    /// <summary>IsIndexed data properties stored in every diskann table of the collection (at most 16).</summary>
    public IReadOnlyList<DataPropertyModel> FilterColumns { get; }

    public IReadOnlyList<DataPropertyModel> FullTextColumns { get; }

    private string? _upsertDataSql;
    private IReadOnlyList<PropertyModel>? _writtenProperties;

    public string? FtsTable { get; }

    /// <summary>The columns of a record, data table aliased <c>d</c>, in the order RecordReader reads them.</summary>
    public string SelectColumns { get; }

    public string SelectColumnsWithVectors { get; }

    public VectorColumn VectorOf(VectorPropertyModel property) => Vectors.First(v => ReferenceEquals(v.Property, property));

    public bool IsFilterColumn(PropertyModel property) => FilterColumns.Contains(property);

    /// <summary>The statements of EnsureCollectionExistsAsync, each idempotent.</summary>
    public IEnumerable<string> CreateStatements()
    {
        var sql = new StringBuilder();
        sql.Append("CREATE TABLE IF NOT EXISTS ").Append(DataTable).Append(' ').Append(Marker).Append(" (");
        if (!IntegerKey)
        {
            sql.Append(RowIdColumn).Append(" INTEGER PRIMARY KEY, ").Append(KeyColumn).Append(" TEXT NOT NULL UNIQUE");
        }
        else
        {
            sql.Append(KeyColumn).Append(" INTEGER PRIMARY KEY");
        }

        foreach (var property in Model.DataProperties)
        {
            sql.Append(", ").AppendQuoted(property.StorageName).Append(' ').Append(ValueConverter.StorageType(property.Type));
        }

        foreach (var vector in Vectors.Where(v => v.Flat))
        {
            sql.Append(", ").AppendQuoted(vector.Property.StorageName).Append(" BLOB");
        }

        sql.Append(')');
        yield return sql.ToString();

        foreach (var property in Model.DataProperties.Where(p => p.IsIndexed))
        {
            yield return $"CREATE INDEX IF NOT EXISTS {Sql.Quote($"{Name}__ix_{property.StorageName}")} ON {DataTable} ({Sql.Quote(property.StorageName)})";
        }

        foreach (var vector in Vectors.Where(v => !v.Flat))
        {
            sql.Clear().Append("CREATE VIRTUAL TABLE IF NOT EXISTS ").Append(vector.IndexTable).Append(" USING diskann(dimension=")
                .Append(vector.Property.Dimensions).Append(", metric=").Append(DiskAnnOptionSpec.FormatMetric(vector.Metric));
            foreach (var column in FilterColumns)
            {
                sql.Append(", ").AppendQuoted(column.StorageName).Append(' ').Append(ValueConverter.StorageType(column.Type));
            }

            sql.Append(')');
            yield return sql.ToString();
        }

        if (FtsTable is not null)
        {
            sql.Clear().Append("CREATE VIRTUAL TABLE IF NOT EXISTS ").Append(FtsTable).Append(" USING fts5(");
            sql.AppendJoin(", ", FullTextColumns.Select(c => Sql.Quote(c.StorageName)));
            sql.Append(", content=").Append(Sql.Literal(Name)).Append(", content_rowid=").Append(Sql.Literal(RowIdColumn.Trim('"').Replace("\"\"", "\"")));
            sql.Append(')');
            yield return sql.ToString();
        }

        foreach (var trigger in Triggers())
        {
            yield return trigger;
        }
    }

    private IEnumerable<string> Triggers()
    {
        var ftsColumns = string.Join(", ", FullTextColumns.Select(c => Sql.Quote(c.StorageName)));
        string FtsValues(string row) => string.Join(", ", FullTextColumns.Select(c => row + "." + Sql.Quote(c.StorageName)));
        string FtsInsert() => $"INSERT INTO {FtsTable}(rowid, {ftsColumns}) VALUES (new.{RowIdColumn}, {FtsValues("new")});";
        string FtsDelete() => $"INSERT INTO {FtsTable}({FtsTable}, rowid, {ftsColumns}) VALUES ('delete', old.{RowIdColumn}, {FtsValues("old")});";
        var indexes = Vectors.Where(v => !v.Flat).ToList();

        if (FtsTable is not null)
        {
            yield return $"CREATE TRIGGER IF NOT EXISTS {Sql.Quote($"{Name}__ai")} AFTER INSERT ON {DataTable} BEGIN {FtsInsert()} END";
        }

        if (FtsTable is not null || indexes.Count > 0)
        {
            var body = new StringBuilder();
            foreach (var index in indexes)
            {
                body.Append($"DELETE FROM {index.IndexTable} WHERE rowid = old.{RowIdColumn}; ");
            }

            if (FtsTable is not null)
            {
                body.Append(FtsDelete());
            }

            yield return $"CREATE TRIGGER IF NOT EXISTS {Sql.Quote($"{Name}__ad")} AFTER DELETE ON {DataTable} BEGIN {body} END";
        }

        if (FtsTable is not null || indexes.Count > 0 && FilterColumns.Count > 0)
        {
            var body = new StringBuilder();
            if (FilterColumns.Count > 0)
            {
                var set = string.Join(", ", FilterColumns.Select(c => $"{Sql.Quote(c.StorageName)} = new.{Sql.Quote(c.StorageName)}"));
                foreach (var index in indexes)
                {
                    body.Append($"UPDATE {index.IndexTable} SET {set} WHERE rowid = new.{RowIdColumn}; ");
                }
            }

            if (FtsTable is not null)
            {
                body.Append(FtsDelete()).Append(' ').Append(FtsInsert());
            }

            yield return $"CREATE TRIGGER IF NOT EXISTS {Sql.Quote($"{Name}__au")} AFTER UPDATE ON {DataTable} BEGIN {body} END";
        }
    }

    /// <summary>Insert or update the data row, returning its rowid. Parameters @p0.. in the order of <see cref="WrittenProperties"/>.</summary>
    public string UpsertDataSql => _upsertDataSql ??= BuildUpsertDataSql();

    /// <summary>The properties the data table stores, key first.</summary>
    public IReadOnlyList<PropertyModel> WrittenProperties => _writtenProperties ??= [Model.KeyProperty, .. Model.DataProperties, .. Vectors.Where(v => v.Flat).Select(v => v.Property)];

    private string BuildUpsertDataSql()
    {
        var written = WrittenProperties;
        var columns = string.Join(", ", written.Select(p => Sql.Quote(p.StorageName)));
        var values = string.Join(", ", written.Select((_, i) => "@p" + i));
        var set = string.Join(", ", written.Select(p => $"{Sql.Quote(p.StorageName)} = excluded.{Sql.Quote(p.StorageName)}"));
        return $"INSERT INTO {DataTable} ({columns}) VALUES ({values}) ON CONFLICT({KeyColumn}) DO UPDATE SET {set} RETURNING {RowIdColumn}";
    }

    /// <summary>Insert or replace the index row of a vector: @r the rowid, @v the vector, @f0.. the filter columns.</summary>
    private string UpsertIndexSql(string indexTable)
    {
        var columns = string.Concat(FilterColumns.Select(c => ", " + Sql.Quote(c.StorageName)));
        var values = string.Concat(FilterColumns.Select((_, i) => ", @f" + i));
        return $"INSERT OR REPLACE INTO {indexTable} (rowid, vector{columns}) VALUES (@r, @v{values})";
    }

    /// <summary>Rows whose key is in @keys, a JSON array: one statement (prepared once) for any number of keys.</summary>
    public string KeysInJson => $"{KeyColumn} IN (SELECT value FROM json_each(@keys))";

    public string GetByKeySql(bool includeVectors) => $"SELECT {Columns(includeVectors)} FROM {DataTable} AS d WHERE d.{KeyColumn} = @key";

    public string GetByKeysSql(bool includeVectors) => $"SELECT {Columns(includeVectors)} FROM {DataTable} AS d WHERE d.{KeysInJson}";

    public string DeleteByKeySql => $"DELETE FROM {DataTable} WHERE {KeyColumn} = @key";

    public string DeleteByKeysSql => $"DELETE FROM {DataTable} WHERE {KeysInJson}";

    public string Columns(bool includeVectors) => includeVectors ? SelectColumnsWithVectors : SelectColumns;

    /// <summary>
    /// The candidates of a vector search, nearest first, as (r, distance): the index's KNN with the filter pushed in, or
    /// the exact scan of a Flat property. <paramref name="pushed"/> are conditions on the index's filter columns,
    /// <paramref name="residual"/> a condition on the data table (alias d) for the rest.
    /// </summary>
    public string CandidatesSql(VectorColumn vector, string? pushed, string? residual, string k)
    {
        if (vector.Flat)
        {
            var distance = $"{DistanceFunctions.SqlFunction(vector.Metric)}(d.{Sql.Quote(vector.Property.StorageName)}, @q)";
            var where = residual is null ? "" : $" AND ({residual})";
            return $"SELECT d.{RowIdColumn} AS r, {distance} AS distance FROM {DataTable} AS d WHERE d.{Sql.Quote(vector.Property.StorageName)} IS NOT NULL{where} ORDER BY distance LIMIT {k}";
        }

        var sql = new StringBuilder();
        sql.Append("SELECT rowid AS r, distance FROM ").Append(vector.IndexTable).Append(" WHERE vector MATCH @q AND k = ").Append(k);
        if (pushed is not null)
        {
            sql.Append(" AND ").Append(pushed);
        }

        if (residual is not null)
        {
            sql.Append(" AND rowid IN (SELECT d.").Append(RowIdColumn).Append(" FROM ").Append(DataTable).Append(" AS d WHERE ").Append(residual).Append(')');
        }

        return sql.ToString();
    }

    private string BuildSelectColumns(bool includeVectors)
    {
        var columns = new List<string> { "d." + KeyColumn };
        columns.AddRange(Model.DataProperties.Select(p => "d." + Sql.Quote(p.StorageName)));
        if (includeVectors)
        {
            foreach (var vector in Vectors)
            {
                columns.Add(vector.Flat
                    ? "d." + Sql.Quote(vector.Property.StorageName)
                    : $"(SELECT vector FROM {vector.IndexTable} WHERE rowid = d.{RowIdColumn})");
            }
        }

        return string.Join(", ", columns);
    }

    private bool IsReservedInIndex(string name)
        => name.Equals("vector", StringComparison.OrdinalIgnoreCase) || name.Equals("distance", StringComparison.OrdinalIgnoreCase)
           || name.Equals("k", StringComparison.OrdinalIgnoreCase) || name.Equals("search_list_size", StringComparison.OrdinalIgnoreCase)
           || name.Equals("rowid", StringComparison.OrdinalIgnoreCase) || name.Equals("oid", StringComparison.OrdinalIgnoreCase)
           || name.Equals("_rowid_", StringComparison.OrdinalIgnoreCase)
           || Vectors.Any(v => v.IndexTable is not null && v.IndexTable.Equals(Sql.Quote(name), StringComparison.OrdinalIgnoreCase));
}
