using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DiskAnn.Sqlite;
using static DiskAnn.Sqlite.SqliteConstants;

namespace DiskAnn.VirtualTable;

/// <summary>
/// <c>diskann_status</c>, an eponymous read-only table (<c>SELECT * FROM diskann_status</c>): one row for each diskann
/// table connected on each connection of this process, with the memory its in-memory image holds, its rows, pending
/// rows, tombstones, slots and the generation it has loaded. An operator's view of what the indexes cost.
/// </summary>
internal static unsafe class StatusModule
{
    public static readonly byte[] Name = Utf8.Z("diskann_status");

    /// <summary>The columns, in the order of <see cref="Declaration"/>.</summary>
    private enum Column
    {
        Connection,
        ThisConnection,
        File,
        Schema,
        Name,
        Loaded,
        Image,
        Shared,
        Rows,
        Pending,
        Tombstones,
        Slots,
        MemoryBytes,
        Generation,
        CacheSizeMb,
        VectorBytes,
    }

    private const string Declaration = "CREATE TABLE x(connection INTEGER, this_connection INTEGER, file TEXT, schema TEXT, name TEXT, loaded INTEGER, "
        + "image INTEGER, shared INTEGER, rows INTEGER, pending INTEGER, tombstones INTEGER, slots INTEGER, memory_bytes INTEGER, generation INTEGER, cache_size_mb INTEGER, vector_bytes INTEGER)";

    /// <summary>The module struct, allocated once for the process and never freed (SQLite keeps pointers to it).</summary>
    public static readonly SqliteModuleStruct* Module = CreateModule();

    private static SqliteModuleStruct* CreateModule()
    {
        var m = (SqliteModuleStruct*)NativeMemory.AllocZeroed((nuint)sizeof(SqliteModuleStruct));
        m->iVersion = 1;
        m->xCreate = 0; // eponymous only: it cannot be created with CREATE VIRTUAL TABLE
        m->xConnect = (nint)(delegate* unmanaged[Cdecl]<nint, nint, int, byte**, SqliteVtab**, byte**, int>)&Connect;
        m->xBestIndex = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, SqliteIndexInfo*, int>)&BestIndex;
        m->xDisconnect = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, int>)&Disconnect;
        m->xOpen = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, SqliteVtabCursor**, int>)&Open;
        m->xClose = (nint)(delegate* unmanaged[Cdecl]<SqliteVtabCursor*, int>)&Close;
        m->xFilter = (nint)(delegate* unmanaged[Cdecl]<SqliteVtabCursor*, int, byte*, int, nint*, int>)&Filter;
        m->xNext = (nint)(delegate* unmanaged[Cdecl]<SqliteVtabCursor*, int>)&Next;
        m->xEof = (nint)(delegate* unmanaged[Cdecl]<SqliteVtabCursor*, int>)&Eof;
        m->xColumn = (nint)(delegate* unmanaged[Cdecl]<SqliteVtabCursor*, nint, int, int>)&ColumnValue;
        m->xRowid = (nint)(delegate* unmanaged[Cdecl]<SqliteVtabCursor*, long*, int>)&RowId;
        return m;
    }

    /// <summary>The rows of one scan, and the connection it runs on.</summary>
    private sealed class Cursor(nint db)
    {
        public nint Db { get; } = db;

        public TableStatus[] Rows { get; set; } = [];

        public int Position { get; set; }
    }

    private static Cursor CursorOf(SqliteVtabCursor* cursor) => ManagedCursor.Of<Cursor>(cursor);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Connect(nint db, nint aux, int argc, byte** argv, SqliteVtab** vtab, byte** error)
    {
        try
        {
            fixed (byte* z = Utf8.Z(Declaration))
            {
                var rc = SqliteApi.declare_vtab(db, z);
                if (rc != OK)
                {
                    throw SqliteStatement.Error(db, rc, null);
                }
            }

            *vtab = VtabMemory.Allocate(db); // not a handle: the connection the table is connected on
            return OK;
        }
        catch (Exception e)
        {
            *error = Utf8.SqliteCopy(e.Message);
            return e is SqliteCallException s ? s.ResultCode : ERROR;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Disconnect(SqliteVtab* vtab)
    {
        VtabMemory.Free(vtab);
        return OK;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int BestIndex(SqliteVtab* vtab, SqliteIndexInfo* info)
    {
        // Every row, always: the table is small, and SQLite applies any WHERE itself.
        info->estimatedCost = 100;
        info->estimatedRows = 10;
        return OK;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Open(SqliteVtab* vtab, SqliteVtabCursor** cursor)
    {
        *cursor = ManagedCursor.Allocate(new Cursor(vtab->managed));
        return OK;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Close(SqliteVtabCursor* cursor) => ManagedCursor.Free(cursor);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Filter(SqliteVtabCursor* cursor, int idxNum, byte* idxStr, int argc, nint* argv)
    {
        try
        {
            var c = CursorOf(cursor);
            c.Rows = [.. TableRegistry.Statuses().OrderBy(s => s.Connection != c.Db).ThenBy(s => s.Connection).ThenBy(s => s.Schema).ThenBy(s => s.Name)];
            c.Position = 0;
            return OK;
        }
        catch (Exception e)
        {
            cursor->pVtab->zErrMsg = Utf8.SqliteCopy($"diskann_status: {e.Message}");
            return ERROR;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Next(SqliteVtabCursor* cursor)
    {
        CursorOf(cursor).Position++;
        return OK;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Eof(SqliteVtabCursor* cursor)
    {
        var c = CursorOf(cursor);
        return c.Position >= c.Rows.Length ? 1 : 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int RowId(SqliteVtabCursor* cursor, long* rowid)
    {
        *rowid = CursorOf(cursor).Position + 1;
        return OK;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int ColumnValue(SqliteVtabCursor* cursor, nint context, int column)
    {
        try
        {
            var c = CursorOf(cursor);
            var row = c.Rows[c.Position];
            switch ((Column)column)
            {
                case Column.Connection:
                    SqliteApi.result_int64(context, row.Connection);
                    break;
                case Column.ThisConnection:
                    SqliteApi.result_int64(context, row.Connection == c.Db ? 1 : 0);
                    break;
                case Column.File:
                    Text(context, row.File);
                    break;
                case Column.Schema:
                    Text(context, row.Schema);
                    break;
                case Column.Name:
                    Text(context, row.Name);
                    break;
                case Column.Loaded:
                    SqliteApi.result_int64(context, row.Loaded ? 1 : 0);
                    break;
                case Column.Image:
                    SqliteApi.result_int64(context, row.Image);
                    break;
                case Column.Shared:
                    SqliteApi.result_int64(context, row.Shared ? 1 : 0);
                    break;
                case Column.Rows:
                    SqliteApi.result_int64(context, row.Rows);
                    break;
                case Column.Pending:
                    SqliteApi.result_int64(context, row.Pending);
                    break;
                case Column.Tombstones:
                    SqliteApi.result_int64(context, row.Tombstones);
                    break;
                case Column.Slots:
                    SqliteApi.result_int64(context, row.Slots);
                    break;
                case Column.MemoryBytes:
                    SqliteApi.result_int64(context, row.MemoryBytes);
                    break;
                case Column.Generation:
                    SqliteApi.result_int64(context, row.Generation);
                    break;
                case Column.CacheSizeMb:
                    SqliteApi.result_int64(context, row.CacheSizeMb);
                    break;
                case Column.VectorBytes:
                    SqliteApi.result_int64(context, row.VectorBytes);
                    break;
                default:
                    SqliteApi.result_null(context);
                    break;
            }

            return OK;
        }
        catch (Exception e)
        {
            cursor->pVtab->zErrMsg = Utf8.SqliteCopy($"diskann_status: {e.Message}");
            return ERROR;
        }
    }

    private static void Text(nint context, string? text)
    {
        if (text is null)
        {
            SqliteApi.result_null(context);
            return;
        }

        var z = Utf8.Z(text);
        fixed (byte* p = z)
        {
            SqliteApi.result_text(context, p, z.Length - 1, SqliteApi.Transient);
        }
    }
}
