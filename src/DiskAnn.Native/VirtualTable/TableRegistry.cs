using System.Collections.Concurrent;

namespace DiskAnn.VirtualTable;

/// <summary>
/// The diskann tables connected on each connection, for the SQL functions that act on one by name
/// (<c>diskann_cache_size_mb</c>) and for <c>diskann_status</c>. A table is added by xCreate/xConnect and removed by xDisconnect/xDestroy.
/// </summary>
internal static class TableRegistry
{
    private static readonly ConcurrentDictionary<DiskAnnTable, byte> Tables = new();

    public static void Add(DiskAnnTable table) => Tables.TryAdd(table, 0);

    public static void Remove(DiskAnnTable table) => Tables.TryRemove(table, out _);

    /// <summary>Every table on every connection of the process, as <c>diskann_status</c> shows them.</summary>
    public static IEnumerable<TableStatus> Statuses() => Tables.Keys.Select(t => t.Status());

    /// <summary>
    /// The table named <paramref name="name"/> (case-insensitive, as SQLite compares names) on connection
    /// <paramref name="db"/>, looked for as SQLite resolves an unqualified name: temp, then main, then attached.
    /// </summary>
    public static DiskAnnTable? Find(nint db, string name)
        => Tables.Keys
            .Where(t => t.Db == db && string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
            .OrderBy(t => t.Schema switch { "temp" => 0, "main" => 1, _ => 2 })
            .FirstOrDefault();
}
