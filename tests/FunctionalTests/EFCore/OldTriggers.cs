using System.Data.Common;

namespace FunctionalTests.EFCore;

/// <summary>
/// The triggers that migrations and <c>EnsureCreated</c> wrote before trigger version 2 (they miss the rows a REPLACE
/// deletes), as text: databases created by those versions of the plugin have them.
/// </summary>
public static class OldTriggers
{
    /// <summary>Replaces the triggers of <paramref name="index" /> with the old ones.</summary>
    public static void Install(DbConnection connection, string index, string table, string key, string vector)
    {
        var i = "\"" + index + "\"";
        var t = "\"" + table + "\"";
        var k = "\"" + key + "\"";
        var v = "\"" + vector + "\"";
        var sql = $"""
            DROP TRIGGER IF EXISTS "{index}_insert";
            DROP TRIGGER IF EXISTS "{index}_update";
            DROP TRIGGER IF EXISTS "{index}_delete";
            DROP TRIGGER IF EXISTS "{index}_replaced_before_insert";
            DROP TRIGGER IF EXISTS "{index}_replaced_after_insert";
            DROP TRIGGER IF EXISTS "{index}_replaced_before_update";
            DROP TRIGGER IF EXISTS "{index}_replaced_after_update";
            DROP TABLE IF EXISTS "{index}_replaced";
            CREATE TRIGGER "{index}_insert" AFTER INSERT ON {t}
            WHEN new.{v} IS NOT NULL
            BEGIN
                INSERT INTO {i}(rowid, vector) VALUES (new.{k}, new.{v});
            END;
            CREATE TRIGGER "{index}_update" AFTER UPDATE OF {v}, {k} ON {t}
            WHEN old.{v} IS NOT new.{v} OR old.{k} IS NOT new.{k}
            BEGIN
                DELETE FROM {i} WHERE rowid = old.{k} AND (new.{v} IS NULL OR old.{k} IS NOT new.{k});
                UPDATE {i} SET vector = new.{v} WHERE rowid = old.{k} AND new.{v} IS NOT NULL AND old.{v} IS NOT NULL AND old.{k} IS new.{k};
                INSERT INTO {i}(rowid, vector) SELECT new.{k}, new.{v} WHERE new.{v} IS NOT NULL AND (old.{v} IS NULL OR old.{k} IS NOT new.{k});
            END;
            CREATE TRIGGER "{index}_delete" AFTER DELETE ON {t}
            WHEN old.{v} IS NOT NULL
            BEGIN
                DELETE FROM {i} WHERE rowid = old.{k};
            END;
            """;
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>The keys of the rows with a vector, and the rowids of the index, in order.</summary>
    public static (List<long> Table, List<long> Index) Keys(DbConnection connection, string index, string table, string key, string vector)
        => (
            Longs(connection, $"SELECT \"{key}\" FROM \"{table}\" WHERE \"{vector}\" IS NOT NULL ORDER BY 1"),
            Longs(connection, $"SELECT rowid FROM \"{index}\" ORDER BY 1"));

    /// <summary>The SQL text of the triggers on <paramref name="table" />, by name.</summary>
    public static Dictionary<string, string> Triggers(DbConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{table}' ORDER BY name";
        using var reader = command.ExecuteReader();
        var triggers = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            triggers[reader.GetString(0)] = reader.GetString(1);
        }

        return triggers;
    }

    private static List<long> Longs(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<long>();
        while (reader.Read())
        {
            values.Add(reader.GetInt64(0));
        }

        return values;
    }
}
