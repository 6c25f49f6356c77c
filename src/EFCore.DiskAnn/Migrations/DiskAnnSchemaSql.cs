using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Microsoft.EntityFrameworkCore.Migrations;

/// <summary>
/// The SQL statements that create, fill, sync and drop a <c>diskann</c> virtual table for an entity table:
/// the same text in migrations, <c>EnsureCreated</c> and generated scripts.
/// </summary>
public class DiskAnnSchemaSql
{
    private readonly ISqlGenerationHelper _sql;

    /// <summary>Creates the SQL builder.</summary>
    public DiskAnnSchemaSql(ISqlGenerationHelper sqlGenerationHelper) => _sql = sqlGenerationHelper;

    /// <summary><c>CREATE VIRTUAL TABLE "name" USING diskann(dimension=..., metric=...)</c>.</summary>
    public virtual string CreateVirtualTable(string name, DiskAnnIndexOptions options)
        => $"CREATE VIRTUAL TABLE {_sql.DelimitIdentifier(name)} USING diskann({options.ToModuleArguments()})";

    /// <summary>Copies the vectors already in the table into the index.</summary>
    public virtual string Populate(string name, string table, string? schema, string keyColumn, string vectorColumn)
        => $"INSERT INTO {_sql.DelimitIdentifier(name)}(rowid, vector)"
            + $"{Environment.NewLine}SELECT {_sql.DelimitIdentifier(keyColumn)}, {_sql.DelimitIdentifier(vectorColumn)}"
            + $"{Environment.NewLine}FROM {_sql.DelimitIdentifier(table, schema)}"
            + $"{Environment.NewLine}WHERE {_sql.DelimitIdentifier(vectorColumn)} IS NOT NULL";

    /// <summary>The three triggers (after insert, after update of the vector or the key, after delete) that keep the index in step.</summary>
    public virtual IEnumerable<string> CreateTriggers(string name, string table, string? schema, string keyColumn, string vectorColumn)
    {
        var index = _sql.DelimitIdentifier(name);
        var target = _sql.DelimitIdentifier(table); // SQLite does not allow a schema-qualified table in CREATE TRIGGER ... ON
        var key = _sql.DelimitIdentifier(keyColumn);
        var vector = _sql.DelimitIdentifier(vectorColumn);
        var nl = Environment.NewLine;

        yield return $"CREATE TRIGGER {_sql.DelimitIdentifier(name + "_insert")} AFTER INSERT ON {target}{nl}"
            + $"WHEN new.{vector} IS NOT NULL{nl}"
            + $"BEGIN{nl}"
            + $"    INSERT INTO {index}(rowid, vector) VALUES (new.{key}, new.{vector});{nl}"
            + "END";

        yield return $"CREATE TRIGGER {_sql.DelimitIdentifier(name + "_update")} AFTER UPDATE OF {vector}, {key} ON {target}{nl}"
            + $"WHEN old.{vector} IS NOT new.{vector} OR old.{key} IS NOT new.{key}{nl}"
            + $"BEGIN{nl}"
            + $"    DELETE FROM {index} WHERE rowid = old.{key} AND (new.{vector} IS NULL OR old.{key} IS NOT new.{key});{nl}"
            + $"    UPDATE {index} SET vector = new.{vector} WHERE rowid = old.{key} AND new.{vector} IS NOT NULL AND old.{vector} IS NOT NULL AND old.{key} IS new.{key};{nl}"
            + $"    INSERT INTO {index}(rowid, vector) SELECT new.{key}, new.{vector} WHERE new.{vector} IS NOT NULL AND (old.{vector} IS NULL OR old.{key} IS NOT new.{key});{nl}"
            + "END";

        yield return $"CREATE TRIGGER {_sql.DelimitIdentifier(name + "_delete")} AFTER DELETE ON {target}{nl}"
            + $"WHEN old.{vector} IS NOT NULL{nl}"
            + $"BEGIN{nl}"
            + $"    DELETE FROM {index} WHERE rowid = old.{key};{nl}"
            + "END";
    }

    /// <summary>Drops the triggers and the virtual table (with its shadow tables).</summary>
    public virtual IEnumerable<string> Drop(string name)
    {
        yield return $"DROP TRIGGER IF EXISTS {_sql.DelimitIdentifier(name + "_insert")}";
        yield return $"DROP TRIGGER IF EXISTS {_sql.DelimitIdentifier(name + "_update")}";
        yield return $"DROP TRIGGER IF EXISTS {_sql.DelimitIdentifier(name + "_delete")}";
        yield return $"DROP TABLE IF EXISTS {_sql.DelimitIdentifier(name)}";
    }
}
