using DiskAnn.Sqlite;
using DiskAnn.Storage;

namespace DiskAnn.VirtualTable;

/// <summary>
/// The names a diskann table may take. Its hidden command column is named after the table (as in FTS5), so a
/// table named after one of its other columns would declare that column twice (and could then be neither
/// queried, renamed nor dropped), and one named rowid would hide its rowid. Its data lives in three shadow
/// tables named after it, which must not exist already.
/// </summary>
internal static class TableNames
{
    private static readonly string[] Taken = ["vector", "distance", "k", "search_list_size", "rowid", "oid", "_rowid_"];

    /// <summary>True for a name the table cannot have a command column of (SQLite compares names case-insensitively).</summary>
    public static bool IsTaken(string name) => Taken.Contains(name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Refuses a name for a new table (CREATE) with a message naming the conflict.</summary>
    public static void CheckNew(string name)
    {
        if (IsTaken(name))
        {
            throw new SqliteCallException(SqliteConstants.ERROR, $"diskann: a diskann table cannot be named '{name}': its columns are vector, distance, k, search_list_size and rowid (any case); choose another name");
        }
    }

    /// <summary>
    /// Refuses ALTER TABLE ... RENAME TO <paramref name="newName"/> before anything changes (SQLite then keeps the
    /// old name): a taken name, or one whose shadow tables would collide with another table, index or view.
    /// </summary>
    public static void CheckRename(nint db, string schema, string oldName, string newName)
    {
        if (IsTaken(newName))
        {
            throw new SqliteCallException(SqliteConstants.ERROR, $"diskann: cannot rename \"{oldName}\" to '{newName}': its columns are vector, distance, k, search_list_size and rowid (any case); choose another name");
        }

        using var lookup = new SqliteStatement(db, $"SELECT name FROM {ShadowStorage.Quote(schema)}.sqlite_schema WHERE name = ?1 COLLATE NOCASE");
        foreach (var suffix in ShadowStorage.ShadowSuffixes)
        {
            var shadow = newName + "_" + suffix;
            if (string.Equals(shadow, oldName + "_" + suffix, StringComparison.OrdinalIgnoreCase))
            {
                continue; // only the case changes: that is this table's own shadow table
            }

            lookup.Reset();
            lookup.Bind(1, shadow);
            if (lookup.Step())
            {
                throw new SqliteCallException(SqliteConstants.ERROR, $"diskann: cannot rename \"{oldName}\" to '{newName}': the table keeps its data in {newName}_config, {newName}_vectors and {newName}_graph, and \"{lookup.Text(0)}\" already exists; choose another name or drop that one");
            }
        }
    }
}
