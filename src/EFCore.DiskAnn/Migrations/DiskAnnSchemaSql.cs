using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Microsoft.EntityFrameworkCore.Migrations;

/// <summary>
/// The SQL statements that create, fill, sync and drop a <c>diskann</c> virtual table for an entity table:
/// the same text in migrations, <c>EnsureCreated</c> and generated scripts.
/// </summary>
/// <remarks>
/// <para>
/// The triggers keep this invariant after every statement, whatever its conflict clause: the index's rowids are the keys
/// of the rows whose vector is not NULL, and each index vector is its row's vector. SQLite fires no DELETE trigger for
/// the rows an <c>INSERT OR REPLACE</c> / <c>UPDATE OR REPLACE</c> deletes (unless <c>PRAGMA recursive_triggers</c> is on),
/// so the triggers do not rely on one:
/// </para>
/// <list type="bullet">
/// <item>after an INSERT, and after an UPDATE of the vector or the key, the row's key is written over whatever the index
/// held for it (a REPLACE through the key deleted the old row silently), or removed when the vector is NULL;</item>
/// <item>when the table has other UNIQUE constraints (unique indexes, alternate keys), a BEFORE trigger notes the keys of
/// the rows whose values the new row repeats, the rows a REPLACE is about to delete, in <c>{index}_replaced</c>; an AFTER
/// trigger removes from the index those of them that are gone, and empties the list. Noting a key never changes the
/// index by itself, so an <c>OR IGNORE</c> / <c>OR ABORT</c> / <c>OR FAIL</c> that keeps the rows is harmless.</item>
/// </list>
/// <para>Every trigger statement reaches the index and the table by key: the cost per row does not grow with the table.</para>
/// <para>
/// An integer key is the index's rowid itself. Any other key (Guid, string, a value converted to TEXT or REAL) is given an
/// integer in the key map <c>{index}_keys</c> (<c>"id" INTEGER PRIMARY KEY, "key" UNIQUE</c>), which the same triggers keep
/// in step: it holds exactly the keys of the rows in the index, and each one's id is that row's rowid in the index. The
/// entity table's own rowid is not used, although every table EF Core creates has one: SQLite documents that VACUUM may
/// renumber the rowids of a table without an INTEGER PRIMARY KEY, and such a table cannot be given a rowid alias without
/// making it the primary key, so the index would silently point at other rows. The key map's id is an INTEGER PRIMARY KEY,
/// which VACUUM keeps, and the key values are the table's own.
/// </para>
/// </remarks>
public class DiskAnnSchemaSql
{
    /// <summary>
    /// The version of the trigger SQL, stored on the model's index as <see cref="DiskAnnAnnotationNames.Triggers" />. A
    /// model snapshot with an older version (or none: version 1) makes <c>dotnet ef migrations add</c> scaffold a drop and
    /// create of the index, which the SQL generator turns into a re-creation of the triggers alone.
    /// </summary>
    public const int TriggerVersion = 2;

    private readonly ISqlGenerationHelper _sql;

    /// <summary>Creates the SQL builder.</summary>
    public DiskAnnSchemaSql(ISqlGenerationHelper sqlGenerationHelper) => _sql = sqlGenerationHelper;

    /// <summary><c>CREATE VIRTUAL TABLE "name" USING diskann(dimension=..., metric=...)</c>.</summary>
    public virtual string CreateVirtualTable(string name, DiskAnnIndexOptions options)
        => $"CREATE VIRTUAL TABLE {_sql.DelimitIdentifier(name)} USING diskann({options.ToModuleArguments()})";

    /// <summary>Copies the vectors already in the table into the index (with the values of its filter columns).</summary>
    public virtual string Populate(
        string name,
        string table,
        string? schema,
        string keyColumn,
        string vectorColumn,
        IReadOnlyList<DiskAnnFilterColumn>? filterColumns = null)
        => $"INSERT INTO {_sql.DelimitIdentifier(name)}(rowid, vector{Columns(filterColumns, "")})"
            + $"{Environment.NewLine}SELECT {_sql.DelimitIdentifier(keyColumn)}, {_sql.DelimitIdentifier(vectorColumn)}{Columns(filterColumns, "")}"
            + $"{Environment.NewLine}FROM {_sql.DelimitIdentifier(table, schema)}"
            + $"{Environment.NewLine}WHERE {_sql.DelimitIdentifier(vectorColumn)} IS NOT NULL";

    /// <summary>
    /// Copies the vectors already in the table into the index: <see cref="Populate" /> for an integer key; with a key map
    /// (<paramref name="keyMap" />), the key map is created and given the keys of the rows with a vector first, and the
    /// index takes their ids as rowids.
    /// </summary>
    public virtual IEnumerable<string> Fill(
        string name,
        string table,
        string? schema,
        string keyColumn,
        string vectorColumn,
        IReadOnlyList<DiskAnnFilterColumn>? filterColumns,
        bool keyMap)
    {
        if (!keyMap)
        {
            yield return Populate(name, table, schema, keyColumn, vectorColumn, filterColumns);
            yield break;
        }

        yield return CreateKeyMap(name);
        yield return FillKeyMap(name, table, schema, keyColumn, vectorColumn, missingOnly: false);
        yield return PopulateMapped(name, table, schema, keyColumn, vectorColumn, filterColumns);
    }

    /// <summary>
    /// <c>CREATE TABLE IF NOT EXISTS "{index}_keys" ("id" INTEGER PRIMARY KEY, "key" NOT NULL UNIQUE)</c>: the key map of
    /// an index over a table whose key is not an integer (see the remarks of <see cref="DiskAnnSchemaSql" />).
    /// </summary>
    /// <remarks>
    /// "id" aliases the rowid, so VACUUM keeps it. "key" has no declared type (no affinity): it holds the values the
    /// table's key column stores, as they are, and compares with them as the key column does with its own values.
    /// </remarks>
    public virtual string CreateKeyMap(string name)
        => $"CREATE TABLE IF NOT EXISTS {_sql.DelimitIdentifier(name + KeyMapSuffix)} "
            + $"({_sql.DelimitIdentifier(KeyMapIdColumn)} INTEGER PRIMARY KEY, {_sql.DelimitIdentifier(KeyMapKeyColumn)} NOT NULL UNIQUE)";

    /// <summary>
    /// After a SQLite table rebuild (<c>INSERT INTO "ef_temp_T" SELECT ... FROM "T"</c>, which converts each value to its new
    /// column's affinity), gives the key map the keys as the new table stores them: a key column that became TEXT holds
    /// <c>'1'</c> where the key map, filled from the old table, holds <c>1</c>. The unary plus strips the key map column's
    /// (BLOB) affinity, so that the comparison applies the key column's affinity to the key map's value, as the rebuild
    /// did to the key: it finds the row the key was copied to.
    /// </summary>
    public virtual string RefreshKeyMap(string name, string table, string? schema, string keyColumn)
    {
        var map = _sql.DelimitIdentifier(name + KeyMapSuffix);
        var mapKey = $"{map}.{_sql.DelimitIdentifier(KeyMapKeyColumn)}";
        var row = $"FROM {_sql.DelimitIdentifier(table, schema)} AS t WHERE t.{_sql.DelimitIdentifier(keyColumn)} = +{mapKey}";
        var nl = Environment.NewLine;
        return $"UPDATE {map} SET {_sql.DelimitIdentifier(KeyMapKeyColumn)} = (SELECT t.{_sql.DelimitIdentifier(keyColumn)} {row}){nl}"
            + $"WHERE EXISTS (SELECT 1 {row})";
    }

    /// <summary>Gives the key map the keys of the rows with a vector (with <paramref name="missingOnly" />, those it lacks).</summary>
    private string FillKeyMap(string name, string table, string? schema, string keyColumn, string vectorColumn, bool missingOnly)
    {
        var map = _sql.DelimitIdentifier(name + KeyMapSuffix);
        var key = _sql.DelimitIdentifier(keyColumn);
        var nl = Environment.NewLine;
        return $"INSERT INTO {map}({_sql.DelimitIdentifier(KeyMapKeyColumn)}){nl}"
            + $"SELECT {key}{nl}FROM {_sql.DelimitIdentifier(table, schema)}{nl}"
            + $"WHERE {_sql.DelimitIdentifier(vectorColumn)} IS NOT NULL"
            + (missingOnly ? $" AND {key} NOT IN (SELECT {map}.{_sql.DelimitIdentifier(KeyMapKeyColumn)} FROM {map})" : "");
    }

    /// <summary>
    /// Copies the vectors of the rows in the key map into the index under their ids (the columns are qualified: the key
    /// map's "id" and "key" may be the names of the table's columns too).
    /// </summary>
    private string PopulateMapped(
        string name,
        string table,
        string? schema,
        string keyColumn,
        string vectorColumn,
        IReadOnlyList<DiskAnnFilterColumn>? filterColumns)
    {
        var map = _sql.DelimitIdentifier(name + KeyMapSuffix);
        var row = _sql.DelimitIdentifier(table);
        var vector = $"{row}.{_sql.DelimitIdentifier(vectorColumn)}";
        var nl = Environment.NewLine;
        return $"INSERT INTO {_sql.DelimitIdentifier(name)}(rowid, vector{Columns(filterColumns, "")}){nl}"
            + $"SELECT {map}.{_sql.DelimitIdentifier(KeyMapIdColumn)}, {vector}{Columns(filterColumns, row + ".")}{nl}"
            + $"FROM {_sql.DelimitIdentifier(table, schema)}{nl}"
            + $"JOIN {map} ON {map}.{_sql.DelimitIdentifier(KeyMapKeyColumn)} = {row}.{_sql.DelimitIdentifier(keyColumn)}{nl}"
            + $"WHERE {vector} IS NOT NULL";
    }

    /// <summary>
    /// Brings an index that older triggers may have let drift back to its table: removes the rowids whose row is gone or
    /// has a NULL vector, and adds the rows with a vector that it misses. Reads the whole table and index once. With a key
    /// map (<paramref name="keyMap" />), the key map is brought back to the keys of the rows with a vector first, then the
    /// index to the key map.
    /// </summary>
    public virtual IEnumerable<string> Repair(
        string name,
        string table,
        string? schema,
        string keyColumn,
        string vectorColumn,
        IReadOnlyList<DiskAnnFilterColumn>? filterColumns = null,
        bool keyMap = false)
    {
        var index = _sql.DelimitIdentifier(name);
        var target = _sql.DelimitIdentifier(table, schema);
        var key = _sql.DelimitIdentifier(keyColumn);
        var vector = _sql.DelimitIdentifier(vectorColumn);
        var nl = Environment.NewLine;
        if (!keyMap)
        {
            yield return $"DELETE FROM {index}{nl}WHERE rowid NOT IN (SELECT {key} FROM {target} WHERE {vector} IS NOT NULL)";
            yield return Populate(name, table, schema, keyColumn, vectorColumn, filterColumns) + $" AND {key} NOT IN (SELECT rowid FROM {index})";
            yield break;
        }

        var map = _sql.DelimitIdentifier(name + KeyMapSuffix);
        var id = $"{map}.{_sql.DelimitIdentifier(KeyMapIdColumn)}";
        yield return CreateKeyMap(name);
        yield return $"DELETE FROM {map}{nl}WHERE {map}.{_sql.DelimitIdentifier(KeyMapKeyColumn)} NOT IN (SELECT {key} FROM {target} WHERE {vector} IS NOT NULL)";
        yield return $"DELETE FROM {index}{nl}WHERE rowid NOT IN (SELECT {id} FROM {map})";
        yield return FillKeyMap(name, table, schema, keyColumn, vectorColumn, missingOnly: true);
        yield return PopulateMapped(name, table, schema, keyColumn, vectorColumn, filterColumns) + $" AND {id} NOT IN (SELECT rowid FROM {index})";
    }

    /// <summary>
    /// The triggers that keep the index in step (see the remarks of <see cref="DiskAnnSchemaSql" />): after insert, after
    /// update of the vector or the key, after delete; and, when <paramref name="uniqueKeys" /> lists the table's other
    /// UNIQUE constraints, the table of the keys a REPLACE may delete and the four triggers that handle them.
    /// </summary>
    /// <param name="name">The index (virtual table) name.</param>
    /// <param name="table">The entity table.</param>
    /// <param name="schema">The entity table's schema (SQLite does not allow it in a trigger's statements).</param>
    /// <param name="keyColumn">The key column: the rowid of the index when it is an integer, else mapped by the key map.</param>
    /// <param name="vectorColumn">The vector column.</param>
    /// <param name="uniqueKeys">The columns of each UNIQUE constraint of the table other than the key.</param>
    /// <param name="filterColumns">
    /// The index's filter columns, named after the table's columns: the insert and update triggers write them too, and
    /// an update of only them updates the index row's columns (the module keeps the node and its edges).
    /// </param>
    /// <param name="keyMap">
    /// Whether the key is not an integer: the triggers keep the key map <c>{index}_keys</c> too, and reach the index by the
    /// id it gives the key (see the remarks of <see cref="DiskAnnSchemaSql" />).
    /// </param>
    public virtual IEnumerable<string> CreateTriggers(
        string name,
        string table,
        string? schema,
        string keyColumn,
        string vectorColumn,
        IReadOnlyList<IReadOnlyList<string>>? uniqueKeys = null,
        IReadOnlyList<DiskAnnFilterColumn>? filterColumns = null,
        bool keyMap = false)
    {
        var index = _sql.DelimitIdentifier(name);
        var target = _sql.DelimitIdentifier(table); // SQLite does not allow a schema-qualified table in CREATE TRIGGER ... ON
        var key = _sql.DelimitIdentifier(keyColumn);
        var vector = _sql.DelimitIdentifier(vectorColumn);
        var nl = Environment.NewLine;
        var map = _sql.DelimitIdentifier(name + KeyMapSuffix);
        var mapKey = $"{map}.{_sql.DelimitIdentifier(KeyMapKeyColumn)}";

        // The index's rowid of a key: the key itself, or the id the key map gives it (qualified: the table's columns may
        // be named "id" or "key" too).
        string RowId(string keyValue)
            => keyMap ? $"(SELECT {map}.{_sql.DelimitIdentifier(KeyMapIdColumn)} FROM {map} WHERE {mapKey} = {keyValue})" : keyValue;

        // The key map's statements, when there is one (no conflict clause: an outer OR REPLACE / OR IGNORE would apply
        // to it, so the INSERT writes only a key the map lacks and can never conflict).
        string Mapped(string statement) => keyMap ? $"    {statement};{nl}" : "";

        // Writes new.vector under new.key over whatever the index holds for that key, or removes the key for a NULL vector.
        var filters = filterColumns ?? [];
        var setFilters = string.Concat(filters.Select(c => $", {_sql.DelimitIdentifier(c.Name)} = new.{_sql.DelimitIdentifier(c.Name)}"));
        var newRowId = RowId($"new.{key}");
        var upsert = $"    DELETE FROM {index} WHERE rowid = {newRowId} AND new.{vector} IS NULL;{nl}"
            + Mapped($"DELETE FROM {map} WHERE {mapKey} = new.{key} AND new.{vector} IS NULL")
            + Mapped($"INSERT INTO {map}({_sql.DelimitIdentifier(KeyMapKeyColumn)}) SELECT new.{key}{nl}"
                + $"        WHERE new.{vector} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {map} WHERE {mapKey} = new.{key})")
            + $"    UPDATE {index} SET vector = new.{vector}{setFilters} WHERE rowid = {newRowId} AND new.{vector} IS NOT NULL;{nl}"
            + $"    INSERT INTO {index}(rowid, vector{Columns(filters, "")}) SELECT {newRowId}, new.{vector}{Columns(filters, "new.")}{nl}"
            + $"        WHERE new.{vector} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {index} WHERE rowid = {newRowId});{nl}";

        yield return $"CREATE TRIGGER {_sql.DelimitIdentifier(name + InsertSuffix)} AFTER INSERT ON {target}{nl}"
            + $"BEGIN{nl}"
            + upsert
            + "END";

        yield return $"CREATE TRIGGER {_sql.DelimitIdentifier(name + UpdateSuffix)} AFTER UPDATE OF {vector}, {key}{Columns(filters, "")} ON {target}{nl}"
            + $"WHEN old.{vector} IS NOT new.{vector} OR old.{key} IS NOT new.{key}"
            + string.Concat(filters.Select(c => $" OR old.{_sql.DelimitIdentifier(c.Name)} IS NOT new.{_sql.DelimitIdentifier(c.Name)}"))
            + nl
            + $"BEGIN{nl}"
            + $"    DELETE FROM {index} WHERE rowid = {RowId($"old.{key}")} AND old.{key} IS NOT new.{key};{nl}"
            + Mapped($"DELETE FROM {map} WHERE {mapKey} = old.{key} AND old.{key} IS NOT new.{key}")
            + upsert
            + "END";

        yield return $"CREATE TRIGGER {_sql.DelimitIdentifier(name + DeleteSuffix)} AFTER DELETE ON {target}{nl}"
            + $"WHEN old.{vector} IS NOT NULL{nl}"
            + $"BEGIN{nl}"
            + $"    DELETE FROM {index} WHERE rowid = {RowId($"old.{key}")};{nl}"
            + Mapped($"DELETE FROM {map} WHERE {mapKey} = old.{key}")
            + "END";

        var uniques = uniqueKeys?.Where(u => u.Count > 0).ToList() ?? [];
        if (uniques.Count == 0)
        {
            yield break;
        }

        var replaced = _sql.DelimitIdentifier(name + ReplacedSuffix);
        var keyName = _sql.DelimitIdentifier(ReplacedKeyColumn);

        // A plain rowid table with no constraint: an outer OR ABORT / OR IGNORE applies to the trigger's INSERT too, and
        // must find nothing to conflict with. A mapped key is kept as the table stores it (no affinity).
        yield return $"CREATE TABLE IF NOT EXISTS {replaced} ({keyName}{(keyMap ? "" : " INTEGER")})";

        // The rows sharing a UNIQUE constraint's values with new (a NULL never conflicts, and "=" never matches it).
        string Conflicting(string extra)
            => string.Join(
                $"{nl}        UNION ALL ",
                uniques.Select(columns => $"SELECT {key} FROM {target} WHERE "
                    + string.Join(" AND ", columns.Select(c => $"{_sql.DelimitIdentifier(c)} = new.{_sql.DelimitIdentifier(c)}"))
                    + extra));

        // The noted keys whose row is gone (or has a NULL vector) leave the index (and the key map); the list is emptied.
        var gone = $"        WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t.{key} = r.{keyName} AND t.{vector} IS NOT NULL)";
        var reconcile = $"    DELETE FROM {index} WHERE rowid IN ({nl}"
            + $"        SELECT {RowId($"r.{keyName}")} FROM {replaced} AS r{nl}"
            + $"{gone});{nl}"
            + Mapped($"DELETE FROM {map} WHERE {mapKey} IN ({nl}        SELECT r.{keyName} FROM {replaced} AS r{nl}{gone})")
            + $"    DELETE FROM {replaced};{nl}";

        var uniqueColumns = uniques.SelectMany(c => c).Distinct(StringComparer.Ordinal).Select(c => _sql.DelimitIdentifier(c)).ToList();

        yield return $"CREATE TRIGGER {_sql.DelimitIdentifier(name + ReplacedBeforeInsertSuffix)} BEFORE INSERT ON {target}{nl}"
            + $"BEGIN{nl}"
            + $"    INSERT INTO {replaced}({keyName}){nl}        {Conflicting("")};{nl}"
            + "END";

        yield return $"CREATE TRIGGER {_sql.DelimitIdentifier(name + ReplacedAfterInsertSuffix)} AFTER INSERT ON {target}{nl}"
            + $"BEGIN{nl}"
            + reconcile
            + "END";

        yield return $"CREATE TRIGGER {_sql.DelimitIdentifier(name + ReplacedBeforeUpdateSuffix)} BEFORE UPDATE OF {string.Join(", ", uniqueColumns)} ON {target}{nl}"
            + $"WHEN {string.Join(" OR ", uniqueColumns.Select(c => $"old.{c} IS NOT new.{c}"))}{nl}"
            + $"BEGIN{nl}"
            + $"    INSERT INTO {replaced}({keyName}){nl}        {Conflicting($" AND {key} IS NOT old.{key}")};{nl}"
            + "END";

        yield return $"CREATE TRIGGER {_sql.DelimitIdentifier(name + ReplacedAfterUpdateSuffix)} AFTER UPDATE OF {string.Join(", ", uniqueColumns)} ON {target}{nl}"
            + $"WHEN {string.Join(" OR ", uniqueColumns.Select(c => $"old.{c} IS NOT new.{c}"))}{nl}"
            + $"BEGIN{nl}"
            + reconcile
            + "END";
    }

    /// <summary><c>, "A", "B"</c> for the filter columns (each after <paramref name="prefix" />), or nothing.</summary>
    private string Columns(IReadOnlyList<DiskAnnFilterColumn>? filterColumns, string prefix)
        => string.Concat((filterColumns ?? []).Select(c => ", " + prefix + _sql.DelimitIdentifier(c.Name)));

    /// <summary>Drops every trigger this class creates for the index, and the table of replaced keys.</summary>
    public virtual IEnumerable<string> DropTriggers(string name)
    {
        foreach (var suffix in TriggerSuffixes)
        {
            yield return $"DROP TRIGGER IF EXISTS {_sql.DelimitIdentifier(name + suffix)}";
        }

        yield return $"DROP TABLE IF EXISTS {_sql.DelimitIdentifier(name + ReplacedSuffix)}";
    }

    /// <summary>Drops the triggers, the virtual table (with its shadow tables) and the key map, if any.</summary>
    public virtual IEnumerable<string> Drop(string name)
    {
        foreach (var statement in DropTriggers(name))
        {
            yield return statement;
        }

        yield return $"DROP TABLE IF EXISTS {_sql.DelimitIdentifier(name)}";
        yield return $"DROP TABLE IF EXISTS {_sql.DelimitIdentifier(name + KeyMapSuffix)}";
    }

    /// <summary>The suffix of the AFTER INSERT trigger's name.</summary>
    public const string InsertSuffix = "_insert";

    /// <summary>The suffix of the AFTER UPDATE trigger's name.</summary>
    public const string UpdateSuffix = "_update";

    /// <summary>The suffix of the AFTER DELETE trigger's name.</summary>
    public const string DeleteSuffix = "_delete";

    /// <summary>The suffix of the table of keys a REPLACE may have deleted (only when the table has other UNIQUE constraints).</summary>
    public const string ReplacedSuffix = "_replaced";

    /// <summary>The suffix of the BEFORE INSERT trigger that notes the rows a REPLACE may delete.</summary>
    public const string ReplacedBeforeInsertSuffix = "_replaced_before_insert";

    /// <summary>The suffix of the AFTER INSERT trigger that removes the replaced rows from the index.</summary>
    public const string ReplacedAfterInsertSuffix = "_replaced_after_insert";

    /// <summary>The suffix of the BEFORE UPDATE trigger that notes the rows a REPLACE may delete.</summary>
    public const string ReplacedBeforeUpdateSuffix = "_replaced_before_update";

    /// <summary>The suffix of the AFTER UPDATE trigger that removes the replaced rows from the index.</summary>
    public const string ReplacedAfterUpdateSuffix = "_replaced_after_update";

    /// <summary>
    /// The suffix of the key map's name: the table that gives a non-integer key the integer the index knows its row by
    /// (see the remarks of <see cref="DiskAnnSchemaSql" />).
    /// </summary>
    public const string KeyMapSuffix = "_keys";

    /// <summary>The key map's INTEGER PRIMARY KEY column: the index's rowid of the key.</summary>
    public const string KeyMapIdColumn = "id";

    /// <summary>The key map's column of the entity table's key values.</summary>
    public const string KeyMapKeyColumn = "key";

    private const string ReplacedKeyColumn = "key";

    private static readonly string[] TriggerSuffixes =
    [
        InsertSuffix, UpdateSuffix, DeleteSuffix,
        ReplacedBeforeInsertSuffix, ReplacedAfterInsertSuffix, ReplacedBeforeUpdateSuffix, ReplacedAfterUpdateSuffix,
    ];
}
