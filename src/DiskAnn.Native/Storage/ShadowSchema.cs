using DiskAnn.Sqlite;

namespace DiskAnn.Storage;

/// <summary>
/// The three shadow tables of one diskann table: their names, and the DDL that creates, drops and renames them
/// with the virtual table (layout in Storage/FORMAT.md). Every other storage type addresses its table through
/// an instance of this, so a table's name is spelled in one place.
/// </summary>
internal sealed class ShadowSchema
{
    public const string ConfigSuffix = "config";
    public const string VectorsSuffix = "vectors";
    public const string GraphSuffix = "graph";
    public const string ColumnsSuffix = "columns";

    /// <summary>
    /// The suffixes SQLite asks about in xShadowName: tables <c>&lt;name&gt;_&lt;suffix&gt;</c> that only the
    /// virtual table may write when SQLITE_DBCONFIG_DEFENSIVE is on.
    /// </summary>
    public static readonly string[] Suffixes = [ConfigSuffix, VectorsSuffix, GraphSuffix, ColumnsSuffix];

    public ShadowSchema(nint db, string schema, string table)
    {
        Db = db;
        Schema = schema;
        Table = table;
        Config = QualifiedName(schema, table, ConfigSuffix);
        Vectors = QualifiedName(schema, table, VectorsSuffix);
        Graph = QualifiedName(schema, table, GraphSuffix);
        Columns = QualifiedName(schema, table, ColumnsSuffix);
    }

    public nint Db { get; }

    /// <summary>The attached database (<c>main</c>, <c>temp</c>, ...) that holds the tables.</summary>
    public string Schema { get; }

    /// <summary>The virtual table's name, as error messages give it.</summary>
    public string Table { get; }

    /// <summary>The quoted, schema-qualified names to put in SQL text.</summary>
    public string Config { get; }

    public string Vectors { get; }

    public string Graph { get; }

    /// <summary>The filter column values (format version 3, only for a table that declares filter columns).</summary>
    public string Columns { get; }

    /// <summary>The bare name of one shadow table, as sqlite3_blob_open takes it (unquoted, schema apart).</summary>
    public string BareName(string suffix) => Table + "_" + suffix;

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    private static string QualifiedName(string schema, string table, string suffix) => $"{Quote(schema)}.{Quote(table + "_" + suffix)}";

    /// <summary>The error for stored data that cannot be what this build wrote: it names the table so the user knows what to rebuild.</summary>
    public SqliteCallException Corrupt(string what)
        => new(SqliteConstants.CORRUPT_VTAB, $"diskann table \"{Table}\" is corrupt: {what}");

    /// <summary>
    /// Creates the tables, empty (<see cref="ShadowConfig.Initialize"/> then fills the config): config, vectors, graph,
    /// and for filter columns a table of their values by slot, each column declared with its type.
    /// </summary>
    public void Create(IReadOnlyList<Filters.FilterColumn> filterColumns)
    {
        if (filterColumns.Count > 0)
        {
            var columns = string.Concat(filterColumns.Select(c => $", {Quote(c.Name)} {Filters.FilterTypes.Name(c.Type)}"));
            SqliteStatement.Execute(Db, $"CREATE TABLE {Columns}(slot INTEGER PRIMARY KEY{columns})");
        }

        SqliteStatement.Execute(Db, $"CREATE TABLE {Config}(key TEXT PRIMARY KEY, value) WITHOUT ROWID");
        SqliteStatement.Execute(Db, $"CREATE TABLE {Vectors}(id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
        SqliteStatement.Execute(Db, $"CREATE TABLE {Graph}(id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
    }

    public static void Drop(nint db, string schema, string table)
    {
        foreach (var suffix in Suffixes)
        {
            SqliteStatement.Execute(db, $"DROP TABLE IF EXISTS {QualifiedName(schema, table, suffix)}");
        }
    }

    public static void Rename(nint db, string schema, string oldName, string newName)
    {
        using var exists = new SqliteStatement(db, $"SELECT 1 FROM {Quote(schema)}.sqlite_schema WHERE type = 'table' AND name = ?1");
        foreach (var suffix in Suffixes)
        {
            exists.Reset();
            exists.Bind(1, oldName + "_" + suffix);
            if (suffix != ColumnsSuffix || exists.Step())
            {
                exists.Reset();
                SqliteStatement.Execute(db, $"ALTER TABLE {QualifiedName(schema, oldName, suffix)} RENAME TO {Quote(newName + "_" + suffix)}");
            }
        }
    }
}
