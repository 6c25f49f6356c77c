using DiskAnn.Sqlite;

namespace DiskAnn.VirtualTable;

/// <summary>
/// xUpdate: argc 1 is a DELETE, argv[0] NULL an INSERT (or a command written to the column named after
/// the table), otherwise an UPDATE of the row argv[0] to rowid argv[1]. Arguments are checked before
/// anything changes, so a bad row leaves the index as it was.
/// </summary>
internal static unsafe class RowWriter
{
    public static void Run(DiskAnnTable table, ReadOnlySpan<nint> argv, long* newRowid)
    {
        try
        {
            Write(table, argv, newRowid);
        }
        finally
        {
            // An open BLOB handle counts as a statement in progress and would block COMMIT.
            table.CloseBlobs();
        }
    }

    private static void Write(DiskAnnTable table, ReadOnlySpan<nint> argv, long* newRowid)
    {
        if (argv.Length == 1)
        {
            table.Delete(ReadRowId(argv[0]));
            return;
        }

        // (A table without a command column has no argument for it: see Columns.Declaration.)
        var filterColumns = table.Options.FilterColumns;
        var commandAt = 2 + Columns.Command(filterColumns.Count);
        var command = argv.Length > commandAt ? argv[commandAt] : 0;
        if (SqliteValues.IsNull(argv[0]) && command != 0 && !SqliteValues.IsNull(command))
        {
            table.Command(SqliteValues.ReadText(command) ?? "");
            return;
        }

        long? rowid = SqliteValues.IsNull(argv[1]) ? null : ReadRowId(argv[1]);
        var vector = SqliteValues.ReadVector(argv[2 + Columns.Vector], table.Options.Dimension, "vector");
        var filterValues = new Filters.FilterValue[filterColumns.Count];
        for (var c = 0; c < filterValues.Length; c++)
        {
            filterValues[c] = FilterValues.ForColumn(argv[2 + Columns.FirstFilter + c], filterColumns[c], table.Name);
        }

        var replace = SqliteApi.vtab_on_conflict(table.Db) == SqliteConstants.REPLACE;
        if (SqliteValues.IsNull(argv[0]))
        {
            *newRowid = table.Insert(rowid, vector, replace, filterValues);
            return;
        }

        var oldRowid = ReadRowId(argv[0]);
        table.Update(oldRowid, rowid ?? oldRowid, vector, replace, filterValues);
    }

    /// <summary>A rowid as an ordinary table takes it: 3, 3.0 and '3' are 3; 3.5 or 'x' is an error.</summary>
    private static long ReadRowId(nint value) => SqliteValues.ReadInteger(value, "rowid", long.MinValue, long.MaxValue);
}
