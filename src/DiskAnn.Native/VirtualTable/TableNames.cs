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
    public static bool IsTaken(string name, IReadOnlyList<Filters.FilterColumn> filters)
        => Taken.Contains(name, StringComparer.OrdinalIgnoreCase) || filters.Any(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The names a column may not have: the hidden columns and the rowid's names.</summary>
    public static bool IsReserved(string column) => Taken.Contains(column, StringComparer.OrdinalIgnoreCase);

    private static string ColumnList(IReadOnlyList<Filters.FilterColumn> filters)
        => "vector, distance, k, search_list_size" + string.Concat(filters.Select(f => ", " + f.Name)) + " and rowid (any case)";

    /// <summary>Refuses a name for a new table (CREATE) with a message naming the conflict, before anything is created.</summary>
    public static void CheckNew(nint db, string schema, string name, IReadOnlyList<Filters.FilterColumn> filters)
    {
        if (IsTaken(name, filters))
        {
            throw new SqliteCallException(SqliteConstants.ERROR, $"diskann: a diskann table cannot be named '{name}': its columns are {ColumnList(filters)}; choose another name");
        }

        if (ExistingShadow(db, schema, name, null) is { } existing)
        {
            throw new SqliteCallException(SqliteConstants.ERROR, $"diskann: cannot create \"{name}\": the table keeps its data in {name}_config, {name}_vectors and {name}_graph, and \"{existing}\" already exists; choose another name or drop that one");
        }
    }

    /// <summary>
    /// Refuses ALTER TABLE ... RENAME TO <paramref name="newName"/> before anything changes (SQLite then keeps the
    /// old name): a taken name, or one whose shadow tables would collide with another table, index or view.
    /// </summary>
    public static void CheckRename(nint db, string schema, string oldName, string newName, IReadOnlyList<Filters.FilterColumn> filters)
    {
        if (IsTaken(newName, filters))
        {
            throw new SqliteCallException(SqliteConstants.ERROR, $"diskann: cannot rename \"{oldName}\" to '{newName}': its columns are {ColumnList(filters)}; choose another name");
        }

        if (ExistingShadow(db, schema, newName, oldName) is { } existing)
        {
            throw new SqliteCallException(SqliteConstants.ERROR, $"diskann: cannot rename \"{oldName}\" to '{newName}': the table keeps its data in {newName}_config, {newName}_vectors and {newName}_graph, and \"{existing}\" already exists; choose another name or drop that one");
        }
    }

    /// <summary>The name of a table, index or view that one of <paramref name="name"/>'s shadow tables would collide with, or null.</summary>
    private static string? ExistingShadow(nint db, string schema, string name, string? oldName)
    {
        using var lookup = new SqliteStatement(db, $"SELECT name FROM {ShadowStorage.Quote(schema)}.sqlite_schema WHERE name = ?1 COLLATE NOCASE");
        foreach (var suffix in ShadowStorage.ShadowSuffixes)
        {
            var shadow = name + "_" + suffix;
            if (oldName is not null && string.Equals(shadow, oldName + "_" + suffix, StringComparison.OrdinalIgnoreCase))
            {
                continue; // only the case changes: that is this table's own shadow table
            }

            lookup.Reset();
            lookup.Bind(1, shadow);
            if (lookup.Step())
            {
                return lookup.Text(0);
            }
        }

        return null;
    }
}
