namespace DiskAnn.VirtualTable;

/// <summary>
/// The idxNum xBestIndex hands to xFilter: which constraints the plan uses. xFilter receives their values in
/// argv in the order of these bits, lowest first; with <see cref="RowIds"/>, the rowid constraints follow, one
/// per character of idxStr (see <see cref="RowIdFilter"/>).
/// </summary>
[Flags]
internal enum QueryPlan
{
    FullScan = 0,
    Match = 1,
    K = 2,
    SearchListSize = 4,
    Limit = 8,
    Offset = 16,
    RowIds = 32,

    /// <summary>Filter column constraints follow the rowid ones in argv, two characters each in idxStr after a '|' (see <see cref="FilterConstraints"/>).</summary>
    Filters = 128,

    /// <summary>Not an argument: the query has a LIMIT that cannot act as k (its ORDER BY is not distance ascending).</summary>
    LimitNotK = 64,

    /// <summary>
    /// <c>distance &lt; ?</c> (or <c>&lt;=</c> with <see cref="ThresholdInclusive"/>): the last argument, after the filter
    /// columns' (see <see cref="DistanceThreshold"/>).
    /// </summary>
    Threshold = 256,

    /// <summary>Not an argument: the threshold is <c>distance &lt;= ?</c> rather than <c>distance &lt; ?</c>.</summary>
    ThresholdInclusive = 512,
}

/// <summary>
/// The columns the table declares, by index: vector, distance, k, search_list_size, then its filter columns in
/// declaration order, then the hidden command column named after the table.
/// </summary>
internal static class Columns
{
    public const int Vector = 0;
    public const int Distance = 1;
    public const int K = 2;
    public const int SearchListSize = 3;

    /// <summary>The first filter column (a table without filter columns has its command column here).</summary>
    public const int FirstFilter = 4;

    public const int RowId = -1;

    /// <summary>The hidden column named after the table, written to run commands (as FTS5 does).</summary>
    public static int Command(int filterCount) => FirstFilter + filterCount;

    /// <summary>
    /// The table's columns. A table whose name is taken by a column (only an older version could create or rename
    /// one so) gets no command column: it can then still be queried, renamed and dropped.
    /// </summary>
    public static string Declaration(string table, IReadOnlyList<Filters.FilterColumn> filters)
        => "CREATE TABLE x(vector BLOB, distance REAL HIDDEN, k INTEGER HIDDEN, search_list_size INTEGER HIDDEN"
            + string.Concat(filters.Select(f => $", {Storage.ShadowStorage.Quote(f.Name)} {Filters.FilterTypes.Name(f.Type)}"))
            + (TableNames.IsTaken(table, filters) ? ")" : $", {Storage.ShadowStorage.Quote(table)} HIDDEN)");
}
