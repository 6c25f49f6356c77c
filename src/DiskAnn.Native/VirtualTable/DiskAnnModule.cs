using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DiskAnn.Graph;
using DiskAnn.Sqlite;
using DiskAnn.Storage;
using static DiskAnn.Sqlite.SqliteConstants;

namespace DiskAnn.VirtualTable;

/// <summary>
/// The <c>diskann</c> module's callbacks, called by SQLite through the <c>sqlite3_module</c> struct.
/// Each one catches every exception and returns a SQLite result code with the message in zErrMsg: an
/// exception escaping an [UnmanagedCallersOnly] method would end the process.
/// </summary>
internal static unsafe class DiskAnnModule
{
    /// <summary>The module struct, allocated once for the process and never freed (SQLite keeps pointers to it).</summary>
    public static readonly SqliteModuleStruct* Module = CreateModule();

    private static SqliteModuleStruct* CreateModule()
    {
        var m = (SqliteModuleStruct*)NativeMemory.AllocZeroed((nuint)sizeof(SqliteModuleStruct));
        m->iVersion = 4;
        m->xCreate = (nint)(delegate* unmanaged[Cdecl]<nint, nint, int, byte**, SqliteVtab**, byte**, int>)&Create;
        m->xConnect = (nint)(delegate* unmanaged[Cdecl]<nint, nint, int, byte**, SqliteVtab**, byte**, int>)&Connect;
        m->xBestIndex = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, SqliteIndexInfo*, int>)&BestIndex;
        m->xDisconnect = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, int>)&Disconnect;
        m->xDestroy = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, int>)&Destroy;
        m->xOpen = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, SqliteVtabCursor**, int>)&Open;
        m->xClose = (nint)(delegate* unmanaged[Cdecl]<SqliteVtabCursor*, int>)&Close;
        m->xFilter = (nint)(delegate* unmanaged[Cdecl]<SqliteVtabCursor*, int, byte*, int, nint*, int>)&Filter;
        m->xNext = (nint)(delegate* unmanaged[Cdecl]<SqliteVtabCursor*, int>)&Next;
        m->xEof = (nint)(delegate* unmanaged[Cdecl]<SqliteVtabCursor*, int>)&Eof;
        m->xColumn = (nint)(delegate* unmanaged[Cdecl]<SqliteVtabCursor*, nint, int, int>)&Column;
        m->xRowid = (nint)(delegate* unmanaged[Cdecl]<SqliteVtabCursor*, long*, int>)&RowId;
        m->xUpdate = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, int, nint*, long*, int>)&Update;
        m->xBegin = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, int>)&Begin;
        m->xSync = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, int>)&Sync;
        m->xCommit = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, int>)&Commit;
        m->xRollback = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, int>)&Rollback;
        m->xRename = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, byte*, int>)&Rename;
        m->xSavepoint = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, int, int>)&Savepoint;
        m->xRelease = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, int, int>)&Release;
        m->xRollbackTo = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, int, int>)&RollbackTo;
        m->xShadowName = (nint)(delegate* unmanaged[Cdecl]<byte*, int>)&ShadowName;
        m->xIntegrity = (nint)(delegate* unmanaged[Cdecl]<SqliteVtab*, byte*, byte*, int, byte**, int>)&Integrity;
        return m;
    }

    private static DiskAnnTable TableOf(SqliteVtab* vtab) => (DiskAnnTable)GCHandle.FromIntPtr(vtab->managed).Target!;

    private static float[] Decoded(NodeStore nodes, int slot)
    {
        var vector = new float[nodes.Dimension];
        nodes.Decode(slot, vector);
        return vector;
    }

    private static DiskAnnCursor CursorOf(SqliteVtabCursor* cursor) => ManagedCursor.Of<DiskAnnCursor>(cursor);

    private static void SetError(SqliteVtab* vtab, string message)
    {
        if (vtab->zErrMsg is not null)
        {
            SqliteApi.free(vtab->zErrMsg);
        }

        vtab->zErrMsg = Utf8.SqliteCopy(message);
    }

    private static int Fail(SqliteVtab* vtab, Exception e)
    {
        // Our own errors carry a message written for the user; anything else is a fault of ours or of the file,
        // and says so rather than showing a bare runtime message.
        SetError(vtab, e is SqliteCallException or OutOfMemoryException
            ? e.Message
            : $"diskann: internal error ({e.GetType().Name}: {e.Message}); 'integrity-check' tells whether the index is damaged");
        return e switch
        {
            SqliteCallException s => s.ResultCode,
            OutOfMemoryException => NOMEM,
            _ => ERROR,
        };
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Create(nint db, nint aux, int argc, byte** argv, SqliteVtab** vtab, byte** error)
        => Construct(db, argc, argv, vtab, error, create: true);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Connect(nint db, nint aux, int argc, byte** argv, SqliteVtab** vtab, byte** error)
        => Construct(db, argc, argv, vtab, error, create: false);

    private static int Construct(nint db, int argc, byte** argv, SqliteVtab** vtab, byte** error, bool create)
    {
        try
        {
            var schema = Utf8.Read(argv[1]) ?? "main";
            var name = Utf8.Read(argv[2]) ?? throw new SqliteCallException(ERROR, "diskann: no table name");
            var arguments = new List<string>();
            for (var i = 3; i < argc; i++)
            {
                arguments.Add(Utf8.Read(argv[i]) ?? "");
            }

            var options = TableOptions.Parse(arguments);
            if (create)
            {
                TableNames.CheckNew(db, schema, name, options.FilterColumns);
            }

            var declaration = Utf8.Z(Columns.Declaration(name, options.FilterColumns));
            fixed (byte* z = declaration)
            {
                var rc = SqliteApi.declare_vtab(db, z);
                if (rc != OK)
                {
                    throw SqliteStatement.Error(db, rc, null);
                }
            }

            // Without this, a failed row in a multi-row statement could not be undone: with it, SQLite
            // opens statement savepoints (xSavepoint/xRollbackTo) and honours ON CONFLICT.
            SqliteApi.vtab_config_int(db, VTAB_CONSTRAINT_SUPPORT, 1);
            if (create)
            {
                ShadowStorage.Create(db, schema, name, options, ShadowStorage.ChooseChunkSlots(NodeStore.StoredBytes(options.Dimension, options.Quantization), budgeted: options.CacheSizeMb > 0));
            }

            var table = new DiskAnnTable(db, schema, name, options);
            *vtab = VtabMemory.Allocate(GCHandle.ToIntPtr(GCHandle.Alloc(table)));
            TableRegistry.Add(table);
            return OK;
        }
        catch (Exception e)
        {
            *error = Utf8.SqliteCopy(e.Message);
            return e is SqliteCallException s ? s.ResultCode : ERROR;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Disconnect(SqliteVtab* vtab) => Free(vtab, drop: false);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Destroy(SqliteVtab* vtab) => Free(vtab, drop: true);

    private static int Free(SqliteVtab* vtab, bool drop)
    {
        try
        {
            var table = TableOf(vtab);
            if (drop)
            {
                table.Drop();
            }
            else
            {
                table.Dispose();
            }

            TableRegistry.Remove(table);
        }
        catch (Exception e)
        {
            return Fail(vtab, e);
        }

        try
        {
            GCHandle.FromIntPtr(vtab->managed).Free();
        }
        catch
        {
            // the table is going away either way
        }

        VtabMemory.Free(vtab);
        return OK;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int BestIndex(SqliteVtab* vtab, SqliteIndexInfo* info)
    {
        try
        {
            QueryPlanner.Plan(info, TableOf(vtab).Options.FilterColumns);
            return OK;
        }
        catch (Exception e)
        {
            return Fail(vtab, e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Open(SqliteVtab* vtab, SqliteVtabCursor** cursor)
    {
        try
        {
            *cursor = ManagedCursor.Allocate(new DiskAnnCursor(TableOf(vtab)));
            return OK;
        }
        catch (Exception e)
        {
            return Fail(vtab, e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Close(SqliteVtabCursor* cursor) => ManagedCursor.Free(cursor);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Filter(SqliteVtabCursor* cursor, int idxNum, byte* idxStr, int argc, nint* argv)
    {
        try
        {
            using var reading = CursorOf(cursor).Table.ReadingChunks();
            CursorFilter.Run(CursorOf(cursor), (QueryPlan)idxNum, Utf8.Read(idxStr), new ReadOnlySpan<nint>(argv, argc));
            return OK;
        }
        catch (Exception e)
        {
            CursorOf(cursor).Reset();
            return Fail(cursor->pVtab, e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Next(SqliteVtabCursor* cursor)
    {
        try
        {
            CursorOf(cursor).Position++;
            return OK;
        }
        catch (Exception e)
        {
            return Fail(cursor->pVtab, e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Eof(SqliteVtabCursor* cursor)
    {
        try
        {
            var c = CursorOf(cursor);
            return c.Position >= c.Count ? 1 : 0;
        }
        catch
        {
            return 1; // xEof has no error channel: end the scan
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Column(SqliteVtabCursor* cursor, nint context, int column)
    {
        try
        {
            var c = CursorOf(cursor);
            switch (column)
            {
                case Columns.Vector:
                    if (c.Index is not null && c.Index.TryGetSlot(c.RowIds[c.Position], out var slot))
                    {
                        using var reading = c.Table.ReadingChunks();
                        var nodes = c.Index.Nodes;
                        var vector = nodes.Quantization == DiskAnnQuantization.None ? nodes.Vector(slot) : Decoded(nodes, slot);
                        if (BitConverter.IsLittleEndian)
                        {
                            fixed (float* p = vector)
                            {
                                SqliteApi.result_blob(context, p, vector.Length * sizeof(float), SqliteApi.Transient);
                            }
                        }
                        else
                        {
                            var blob = DiskAnnVector.ToBlob(vector);
                            fixed (byte* p = blob)
                            {
                                SqliteApi.result_blob(context, p, blob.Length, SqliteApi.Transient);
                            }
                        }
                    }
                    else
                    {
                        SqliteApi.result_null(context);
                    }

                    break;
                case Columns.Distance when c.Distances is not null:
                    SqliteApi.result_double(context, c.Distances[c.Position]);
                    break;
                case Columns.K when c.K > 0:
                    SqliteApi.result_int64(context, c.K);
                    break;
                case Columns.SearchListSize when c.ListSize > 0:
                    SqliteApi.result_int64(context, c.ListSize);
                    break;
                case >= Columns.FirstFilter when column - Columns.FirstFilter < c.Table.Options.FilterColumns.Count:
                    var value = c.Index is not null && c.Index.TryGetSlot(c.RowIds[c.Position], out var at)
                        ? c.Index.Nodes.Filters!.Get(at, column - Columns.FirstFilter)
                        : Filters.FilterValue.Null;
                    FilterValues.Result(context, value);
                    break;
                default:
                    SqliteApi.result_null(context);
                    break;
            }

            return OK;
        }
        catch (Exception e)
        {
            return Fail(cursor->pVtab, e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int RowId(SqliteVtabCursor* cursor, long* rowid)
    {
        try
        {
            var c = CursorOf(cursor);
            *rowid = c.RowIds[c.Position];
            return OK;
        }
        catch (Exception e)
        {
            return Fail(cursor->pVtab, e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Update(SqliteVtab* vtab, int argc, nint* argv, long* rowid)
    {
        try
        {
            var table = TableOf(vtab);
            using var reading = table.ReadingChunks();
            RowWriter.Run(table, new ReadOnlySpan<nint>(argv, argc), rowid);
            return OK;
        }
        catch (Exception e)
        {
            return Fail(vtab, e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Begin(SqliteVtab* vtab) => Guard(vtab, static t => t.Begin());

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Sync(SqliteVtab* vtab) => Guard(vtab, static t => t.Sync());

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Commit(SqliteVtab* vtab) => Guard(vtab, static t => t.Commit());

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Rollback(SqliteVtab* vtab) => Guard(vtab, static t => t.Rollback());

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Savepoint(SqliteVtab* vtab, int level) => Guard(vtab, t => t.Savepoint(level));

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Release(SqliteVtab* vtab, int level) => Guard(vtab, t => t.Release(level));

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int RollbackTo(SqliteVtab* vtab, int level) => Guard(vtab, t => t.RollbackTo(level));

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Rename(SqliteVtab* vtab, byte* newName)
    {
        var name = Utf8.Read(newName);
        return Guard(vtab, t => t.Rename(name ?? throw new SqliteCallException(ERROR, "diskann: no new name")));
    }

    private static int Guard(SqliteVtab* vtab, Action<DiskAnnTable> action)
    {
        try
        {
            var table = TableOf(vtab);
            using var reading = table.ReadingChunks();
            action(table);
            return OK;
        }
        catch (Exception e)
        {
            return Fail(vtab, e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int ShadowName(byte* suffix)
    {
        try
        {
            var name = Utf8.Read(suffix);
            return name is not null && ShadowStorage.ShadowSuffixes.Contains(name, StringComparer.OrdinalIgnoreCase) ? 1 : 0;
        }
        catch
        {
            return 0;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Integrity(SqliteVtab* vtab, byte* schema, byte* table, int flags, byte** error)
    {
        try
        {
            using var reading = TableOf(vtab).ReadingChunks();
            var problems = TableOf(vtab).CheckIntegrity();
            if (problems.Count > 0)
            {
                *error = Utf8.SqliteCopy($"diskann table \"{TableOf(vtab).Name}\": {string.Join("; ", problems)}");
            }

            return OK;
        }
        catch (Exception e)
        {
            *error = Utf8.SqliteCopy($"diskann table \"{Utf8.Read(table)}\": {e.Message}");
            return OK;
        }
    }
}
