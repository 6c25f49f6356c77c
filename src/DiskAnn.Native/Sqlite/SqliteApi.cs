using System.Runtime.InteropServices;

namespace DiskAnn.Sqlite;

/// <summary>
/// Every SQLite C function the module calls, as one table of function pointers, filled once before any
/// other use in one of two ways:
/// <list type="bullet">
/// <item><see cref="UseLibraryExports"/>: from the exports of the very <c>e_sqlite3</c> library that
/// Microsoft.Data.Sqlite loaded, so the module and the connection share one copy of SQLite
/// (<c>LoadDiskAnn()</c> does this).</item>
/// <item><see cref="UseApiRoutines"/>: from the <c>sqlite3_api_routines</c> struct SQLite hands to a loadable
/// extension's init function (the <c>diskann</c> shared library for the <c>sqlite3</c> shell).</item>
/// </list>
/// The fields are plain statics (not readonly: either source may fill them), read directly on every call.
/// Each line of <see cref="Fill"/> names the routine (the export is <c>sqlite3_</c> + name) and its slot:
/// the index of the field of that name in <c>struct sqlite3_api_routines</c> of SQLite's <c>sqlite3ext.h</c>,
/// counting from 0, every field one pointer wide. SQLite only ever appends to that struct, so a slot never
/// moves; the highest slot used here (<c>vtab_in_next</c>, 261) came with SQLite 3.38.0, the oldest SQLite
/// the module runs on (<see cref="MinimumVersionNumber"/>). A unit test checks every slot against the exports.
/// </summary>
internal static unsafe class SqliteApi
{
    /// <summary>SQLite 3.38.0: <c>sqlite3_vtab_in*</c> and <c>sqlite3_vtab_rhs_value</c> first appear there.</summary>
    public const int MinimumVersionNumber = 3_038_000;

    /// <summary>Slot of <c>libversion_number</c> in <c>sqlite3_api_routines</c>: read before any other slot.</summary>
    internal const int LibVersionNumberSlot = 67;

    /// <summary>Slot of <c>malloc64</c> (SQLite 3.8.7): filled first, so that an error can still be reported.</summary>
    internal const int Malloc64Slot = 197;

    private static readonly Lock FillLock = new();
    private static volatile bool _filled;

    public static delegate* unmanaged[Cdecl]<nint, byte*, SqliteModuleStruct*, nint, delegate* unmanaged[Cdecl]<nint, void>, int> create_module_v2;
    public static delegate* unmanaged[Cdecl]<nint, byte*, int> declare_vtab;
    public static delegate* unmanaged[Cdecl]<nint, int, int, int> vtab_config_int;
    public static delegate* unmanaged[Cdecl]<nint, int> vtab_on_conflict;
    public static delegate* unmanaged[Cdecl]<SqliteIndexInfo*, int, int, int> vtab_in;
    public static delegate* unmanaged[Cdecl]<SqliteIndexInfo*, int, byte*> vtab_collation;
    public static delegate* unmanaged[Cdecl]<nint, nint*, int> vtab_in_first;
    public static delegate* unmanaged[Cdecl]<nint, nint*, int> vtab_in_next;
    public static delegate* unmanaged[Cdecl]<SqliteIndexInfo*, int, nint*, int> vtab_rhs_value;
    public static delegate* unmanaged[Cdecl]<ulong, void*> malloc64;
    public static delegate* unmanaged[Cdecl]<void*, void> free;
    public static delegate* unmanaged[Cdecl]<nint, byte*> errmsg;
    public static delegate* unmanaged[Cdecl]<nint, int> extended_errcode;
    public static delegate* unmanaged[Cdecl]<int> libversion_number;

    public static delegate* unmanaged[Cdecl]<nint, byte*, int, nint*, nint, int> prepare_v2;
    public static delegate* unmanaged[Cdecl]<nint, int> step;
    public static delegate* unmanaged[Cdecl]<nint, int> reset;
    public static delegate* unmanaged[Cdecl]<nint, int> finalize;
    public static delegate* unmanaged[Cdecl]<nint, int> clear_bindings;
    public static delegate* unmanaged[Cdecl]<nint, int, long, int> bind_int64;
    public static delegate* unmanaged[Cdecl]<nint, int, double, int> bind_double;
    public static delegate* unmanaged[Cdecl]<nint, int, int> bind_null;
    public static delegate* unmanaged[Cdecl]<nint, int, byte*, int, nint, int> bind_text;
    public static delegate* unmanaged[Cdecl]<nint, int, void*, int, nint, int> bind_blob;
    public static delegate* unmanaged[Cdecl]<nint, int, long, int> bind_zeroblob64;
    public static delegate* unmanaged[Cdecl]<nint, int, long> column_int64;
    public static delegate* unmanaged[Cdecl]<nint, int, double> column_double;
    public static delegate* unmanaged[Cdecl]<nint, int, void*> column_blob;
    public static delegate* unmanaged[Cdecl]<nint, int, byte*> column_text;
    public static delegate* unmanaged[Cdecl]<nint, int, int> column_bytes;
    public static delegate* unmanaged[Cdecl]<nint, int, int> column_type;

    public static delegate* unmanaged[Cdecl]<nint, byte*, byte*, byte*, long, int, nint*, int> blob_open;
    public static delegate* unmanaged[Cdecl]<nint, long, int> blob_reopen;
    public static delegate* unmanaged[Cdecl]<nint, int> blob_close;
    public static delegate* unmanaged[Cdecl]<nint, void*, int, int, int> blob_read;
    public static delegate* unmanaged[Cdecl]<nint, void*, int, int, int> blob_write;
    public static delegate* unmanaged[Cdecl]<nint, int> blob_bytes;

    public static delegate* unmanaged[Cdecl]<nint, int> value_type;
    public static delegate* unmanaged[Cdecl]<nint, int> value_bytes;
    public static delegate* unmanaged[Cdecl]<nint, void*> value_blob;
    public static delegate* unmanaged[Cdecl]<nint, byte*> value_text;
    public static delegate* unmanaged[Cdecl]<nint, long> value_int64;
    public static delegate* unmanaged[Cdecl]<nint, double> value_double;
    public static delegate* unmanaged[Cdecl]<nint, int> value_numeric_type;

    public static delegate* unmanaged[Cdecl]<nint, void*, int, nint, void> result_blob;
    public static delegate* unmanaged[Cdecl]<nint, byte*, int, nint, void> result_text;
    public static delegate* unmanaged[Cdecl]<nint, double, void> result_double;
    public static delegate* unmanaged[Cdecl]<nint, long, void> result_int64;
    public static delegate* unmanaged[Cdecl]<nint, void> result_null;
    public static delegate* unmanaged[Cdecl]<nint, byte*, int, void> result_error;
    public static delegate* unmanaged[Cdecl]<nint, int, void> result_error_code;
    public static delegate* unmanaged[Cdecl]<nint, nint> context_db_handle;

    public static delegate* unmanaged[Cdecl]<nint, byte*, int, int, nint,
        delegate* unmanaged[Cdecl]<nint, int, nint*, void>, nint, nint,
        delegate* unmanaged[Cdecl]<nint, void>, int> create_function_v2;

    /// <summary>SQLITE_TRANSIENT: SQLite copies the bytes before the call returns.</summary>
    public const nint Transient = -1;

    /// <summary>Fills the table from <c>e_sqlite3</c>'s exports, once; later calls return at once.</summary>
    public static void UseLibraryExports()
    {
        if (_filled)
        {
            return;
        }

        lock (FillLock)
        {
            if (!_filled)
            {
                var lib = LoadLibrary();
                Fill((name, _) => NativeLibrary.GetExport(lib, "sqlite3_" + name));
                _filled = true;
            }
        }
    }

    /// <summary>
    /// Fills the table from the <c>sqlite3_api_routines*</c> a loadable extension's init function receives.
    /// Fails (and fills nothing) when that SQLite is older than <see cref="MinimumVersionNumber"/>, whose
    /// struct does not reach the slots the module needs.
    /// </summary>
    public static void UseApiRoutines(nint api)
    {
        if (api == 0)
        {
            throw new SqliteCallException(SqliteConstants.ERROR, "diskann: no sqlite3_api_routines (load it as a SQLite extension)");
        }

        var slots = (nint*)api;
        malloc64 = (delegate* unmanaged[Cdecl]<ulong, void*>)slots[Malloc64Slot];
        var version = ((delegate* unmanaged[Cdecl]<int>)slots[LibVersionNumberSlot])();
        if (version < MinimumVersionNumber)
        {
            throw new SqliteCallException(SqliteConstants.ERROR,
                $"diskann needs SQLite 3.38.0 or later; this SQLite is {version / 1_000_000}.{version / 1000 % 1000}.{version % 1000}");
        }

        lock (FillLock)
        {
            Fill((_, slot) => slots[slot]);
            _filled = true;
        }
    }

    /// <summary>Sets every field from <paramref name="resolve"/>(routine name, slot in sqlite3_api_routines).</summary>
    internal static void Fill(Func<string, int, nint> resolve)
    {
        create_module_v2 = (delegate* unmanaged[Cdecl]<nint, byte*, SqliteModuleStruct*, nint, delegate* unmanaged[Cdecl]<nint, void>, int>)resolve("create_module_v2", 119);
        declare_vtab = (delegate* unmanaged[Cdecl]<nint, byte*, int>)resolve("declare_vtab", 50);
        vtab_config_int = (delegate* unmanaged[Cdecl]<nint, int, int, int>)resolve("vtab_config", 177);
        vtab_on_conflict = (delegate* unmanaged[Cdecl]<nint, int>)resolve("vtab_on_conflict", 178);
        vtab_in = (delegate* unmanaged[Cdecl]<SqliteIndexInfo*, int, int, int>)resolve("vtab_in", 259);
        vtab_collation = (delegate* unmanaged[Cdecl]<SqliteIndexInfo*, int, byte*>)resolve("vtab_collation", 224);
        vtab_in_first = (delegate* unmanaged[Cdecl]<nint, nint*, int>)resolve("vtab_in_first", 260);
        vtab_in_next = (delegate* unmanaged[Cdecl]<nint, nint*, int>)resolve("vtab_in_next", 261);
        vtab_rhs_value = (delegate* unmanaged[Cdecl]<SqliteIndexInfo*, int, nint*, int>)resolve("vtab_rhs_value", 257);
        malloc64 = (delegate* unmanaged[Cdecl]<ulong, void*>)resolve("malloc64", Malloc64Slot);
        free = (delegate* unmanaged[Cdecl]<void*, void>)resolve("free", 58);
        errmsg = (delegate* unmanaged[Cdecl]<nint, byte*>)resolve("errmsg", 53);
        extended_errcode = (delegate* unmanaged[Cdecl]<nint, int>)resolve("extended_errcode", 166);
        libversion_number = (delegate* unmanaged[Cdecl]<int>)resolve("libversion_number", LibVersionNumberSlot);

        prepare_v2 = (delegate* unmanaged[Cdecl]<nint, byte*, int, nint*, nint, int>)resolve("prepare_v2", 116);
        step = (delegate* unmanaged[Cdecl]<nint, int>)resolve("step", 94);
        reset = (delegate* unmanaged[Cdecl]<nint, int>)resolve("reset", 77);
        finalize = (delegate* unmanaged[Cdecl]<nint, int>)resolve("finalize", 57);
        clear_bindings = (delegate* unmanaged[Cdecl]<nint, int>)resolve("clear_bindings", 118);
        bind_int64 = (delegate* unmanaged[Cdecl]<nint, int, long, int>)resolve("bind_int64", 5);
        bind_double = (delegate* unmanaged[Cdecl]<nint, int, double, int>)resolve("bind_double", 3);
        bind_null = (delegate* unmanaged[Cdecl]<nint, int, int>)resolve("bind_null", 6);
        bind_text = (delegate* unmanaged[Cdecl]<nint, int, byte*, int, nint, int>)resolve("bind_text", 10);
        bind_blob = (delegate* unmanaged[Cdecl]<nint, int, void*, int, nint, int>)resolve("bind_blob", 2);
        bind_zeroblob64 = (delegate* unmanaged[Cdecl]<nint, int, long, int>)resolve("bind_zeroblob64", 207);
        column_int64 = (delegate* unmanaged[Cdecl]<nint, int, long>)resolve("column_int64", 29);
        column_double = (delegate* unmanaged[Cdecl]<nint, int, double>)resolve("column_double", 27);
        column_blob = (delegate* unmanaged[Cdecl]<nint, int, void*>)resolve("column_blob", 19);
        column_text = (delegate* unmanaged[Cdecl]<nint, int, byte*>)resolve("column_text", 36);
        column_bytes = (delegate* unmanaged[Cdecl]<nint, int, int>)resolve("column_bytes", 20);
        column_type = (delegate* unmanaged[Cdecl]<nint, int, int>)resolve("column_type", 38);

        blob_open = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, byte*, long, int, nint*, int>)resolve("blob_open", 123);
        blob_reopen = (delegate* unmanaged[Cdecl]<nint, long, int>)resolve("blob_reopen", 176);
        blob_close = (delegate* unmanaged[Cdecl]<nint, int>)resolve("blob_close", 122);
        blob_read = (delegate* unmanaged[Cdecl]<nint, void*, int, int, int>)resolve("blob_read", 124);
        blob_write = (delegate* unmanaged[Cdecl]<nint, void*, int, int, int>)resolve("blob_write", 125);
        blob_bytes = (delegate* unmanaged[Cdecl]<nint, int>)resolve("blob_bytes", 121);

        value_type = (delegate* unmanaged[Cdecl]<nint, int>)resolve("value_type", 113);
        value_bytes = (delegate* unmanaged[Cdecl]<nint, int>)resolve("value_bytes", 103);
        value_blob = (delegate* unmanaged[Cdecl]<nint, void*>)resolve("value_blob", 102);
        value_text = (delegate* unmanaged[Cdecl]<nint, byte*>)resolve("value_text", 109);
        value_int64 = (delegate* unmanaged[Cdecl]<nint, long>)resolve("value_int64", 107);
        value_double = (delegate* unmanaged[Cdecl]<nint, double>)resolve("value_double", 105);
        value_numeric_type = (delegate* unmanaged[Cdecl]<nint, int>)resolve("value_numeric_type", 108);

        result_blob = (delegate* unmanaged[Cdecl]<nint, void*, int, nint, void>)resolve("result_blob", 78);
        result_text = (delegate* unmanaged[Cdecl]<nint, byte*, int, nint, void>)resolve("result_text", 85);
        result_double = (delegate* unmanaged[Cdecl]<nint, double, void>)resolve("result_double", 79);
        result_int64 = (delegate* unmanaged[Cdecl]<nint, long, void>)resolve("result_int64", 83);
        result_null = (delegate* unmanaged[Cdecl]<nint, void>)resolve("result_null", 84);
        result_error = (delegate* unmanaged[Cdecl]<nint, byte*, int, void>)resolve("result_error", 80);
        result_error_code = (delegate* unmanaged[Cdecl]<nint, int, void>)resolve("result_error_code", 146);
        context_db_handle = (delegate* unmanaged[Cdecl]<nint, nint>)resolve("context_db_handle", 149);
        create_function_v2 = (delegate* unmanaged[Cdecl]<nint, byte*, int, int, nint,
            delegate* unmanaged[Cdecl]<nint, int, nint*, void>, nint, nint,
            delegate* unmanaged[Cdecl]<nint, void>, int>)resolve("create_function_v2", 162);
    }

    internal static nint LoadLibrary()
    {
        // Bind to the library SQLitePCLRaw's provider uses, resolved the same way its DllImport is.
        var name = SQLitePCL.raw.GetNativeLibraryName();
        var provider = typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly;
        if (NativeLibrary.TryLoad(name, provider, null, out var handle))
        {
            return handle;
        }

        return NativeLibrary.Load(name);
    }
}
