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
    /// Brings an index that older triggers may have let drift back to its table: removes the rowids whose row is gone or
    /// has a NULL vector, and adds the rows with a vector that it misses. Reads the whole table and index once.
    /// </summary>
    public virtual IEnumerable<string> Repair(
        string name,
        string table,
        string? schema,
        string keyColumn,
        string vectorColumn,
        IReadOnlyList<DiskAnnFilterColumn>? filterColumns = null)
    {
        var index = _sql.DelimitIdentifier(name);
        var target = _sql.DelimitIdentifier(table, schema);
        var key = _sql.DelimitIdentifier(keyColumn);
        var vector = _sql.DelimitIdentifier(vectorColumn);
        var nl = Environment.NewLine;
        yield return $"DELETE FROM {index}{nl}WHERE rowid NOT IN (SELECT {key} FROM {target} WHERE {vector} IS NOT NULL)";
        yield return Populate(name, table, schema, keyColumn, vectorColumn, filterColumns) + $" AND {key} NOT IN (SELECT rowid FROM {index})";
    }

    /// <summary>
    /// The triggers that keep the index in step (see the remarks of <see cref="DiskAnnSchemaSql" />): after insert, after
    /// update of the vector or the key, after delete; and, when <paramref name="uniqueKeys" /> lists the table's other
    /// UNIQUE constraints, the table of the keys a REPLACE may delete and the four triggers that handle them.
    /// </summary>
    /// <param name="name">The index (virtual table) name.</param>
    /// <param name="table">The entity table.</param>
    /// <param name="schema">The entity table's schema (SQLite does not allow it in a trigger's statements).</param>
    /// <param name="keyColumn">The integer key column, the rowid of the index.</param>
    /// <param name="vectorColumn">The vector column.</param>
    /// <param name="uniqueKeys">The columns of each UNIQUE constraint of the table other than the key.</param>
    /// <param name="filterColumns">
    /// The index's filter columns, named after the table's columns: the insert and update triggers write them too, and
    /// an update of only them updates the index row's columns (the module keeps the node and its edges).
    /// </param>
    public virtual IEnumerable<string> CreateTriggers(
        string name,
        string table,
        string? schema,
        string keyColumn,
        string vectorColumn,
        IReadOnlyList<IReadOnlyList<string>>? uniqueKeys = null,
        IReadOnlyList<DiskAnnFilterColumn>? filterColumns = null)
    {
        var index = _sql.DelimitIdentifier(name);
        var target = _sql.DelimitIdentifier(table); // SQLite does not allow a schema-qualified table in CREATE TRIGGER ... ON
        var key = _sql.DelimitIdentifier(keyColumn);
        var vector = _sql.DelimitIdentifier(vectorColumn);
        var nl = Environment.NewLine;

        // Writes new.vector under new.key over whatever the index holds for that key, or removes the key for a NULL vector.
        var filters = filterColumns ?? [];
        var setFilters = string.Concat(filters.Select(c => $", {_sql.DelimitIdentifier(c.Name)} = new.{_sql.DelimitIdentifier(c.Name)}"));
        var upsert = $"    DELETE FROM {index} WHERE rowid = new.{key} AND new.{vector} IS NULL;{nl}"
            + $"    UPDATE {index} SET vector = new.{vector}{setFilters} WHERE rowid = new.{key} AND new.{vector} IS NOT NULL;{nl}"
            + $"    INSERT INTO {index}(rowid, vector{Columns(filters, "")}) SELECT new.{key}, new.{vector}{Columns(filters, "new.")}{nl}"
            + $"        WHERE new.{vector} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {index} WHERE rowid = new.{key});{nl}";

        yield return $"CREATE TRIGGER {_sql.DelimitIdentifier(name + InsertSuffix)} AFTER INSERT ON {target}{nl}"
            + $"BEGIN{nl}"
            + upsert
            + "END";

        yield return $"CREATE TRIGGER {_sql.DelimitIdentifier(name + UpdateSuffix)} AFTER UPDATE OF {vector}, {key}{Columns(filters, "")} ON {target}{nl}"
            + $"WHEN old.{vector} IS NOT new.{vector} OR old.{key} IS NOT new.{key}"
            + string.Concat(filters.Select(c => $" OR old.{_sql.DelimitIdentifier(c.Name)} IS NOT new.{_sql.DelimitIdentifier(c.Name)}"))
            + nl
            + $"BEGIN{nl}"
            + $"    DELETE FROM {index} WHERE rowid = old.{key} AND old.{key} IS NOT new.{key};{nl}"
            + upsert
            + "END";

        yield return $"CREATE TRIGGER {_sql.DelimitIdentifier(name + DeleteSuffix)} AFTER DELETE ON {target}{nl}"
            + $"WHEN old.{vector} IS NOT NULL{nl}"
            + $"BEGIN{nl}"
            + $"    DELETE FROM {index} WHERE rowid = old.{key};{nl}"
            + "END";

        var uniques = uniqueKeys?.Where(u => u.Count > 0).ToList() ?? [];
        if (uniques.Count == 0)
        {
            yield break;
        }

        var replaced = _sql.DelimitIdentifier(name + ReplacedSuffix);
        var keyName = _sql.DelimitIdentifier(ReplacedKeyColumn);

        // A plain rowid table with no constraint: an outer OR ABORT / OR IGNORE applies to the trigger's INSERT too, and
        // must find nothing to conflict with.
        yield return $"CREATE TABLE IF NOT EXISTS {replaced} ({keyName} INTEGER)";

        // The rows sharing a UNIQUE constraint's values with new (a NULL never conflicts, and "=" never matches it).
        string Conflicting(string extra)
            => string.Join(
                $"{nl}        UNION ALL ",
                uniques.Select(columns => $"SELECT {key} FROM {target} WHERE "
                    + string.Join(" AND ", columns.Select(c => $"{_sql.DelimitIdentifier(c)} = new.{_sql.DelimitIdentifier(c)}"))
                    + extra));

        // The noted keys whose row is gone (or has a NULL vector) leave the index; the list is emptied.
        var reconcile = $"    DELETE FROM {index} WHERE rowid IN ({nl}"
            + $"        SELECT r.{keyName} FROM {replaced} AS r{nl}"
            + $"        WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t.{key} = r.{keyName} AND t.{vector} IS NOT NULL));{nl}"
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

    /// <summary>Drops the triggers and the virtual table (with its shadow tables).</summary>
    public virtual IEnumerable<string> Drop(string name)
    {
        foreach (var statement in DropTriggers(name))
        {
            yield return statement;
        }

        yield return $"DROP TABLE IF EXISTS {_sql.DelimitIdentifier(name)}";
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

    private const string ReplacedKeyColumn = "key";

    private static readonly string[] TriggerSuffixes =
    [
        InsertSuffix, UpdateSuffix, DeleteSuffix,
        ReplacedBeforeInsertSuffix, ReplacedAfterInsertSuffix, ReplacedBeforeUpdateSuffix, ReplacedAfterUpdateSuffix,
    ];
}
