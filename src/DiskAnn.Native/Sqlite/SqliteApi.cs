using System.Runtime.InteropServices;

namespace DiskAnn.Sqlite;

/// <summary>
/// Every SQLite C function the module calls, as one table of function pointers. It is filled from the
/// exports of the very <c>e_sqlite3</c> library that Microsoft.Data.Sqlite loaded, so the module and the
/// connection share one copy of SQLite. (A loadable-extension build would fill the same table from the
/// <c>sqlite3_api_routines</c> struct instead; nothing else would change.)
/// </summary>
internal static unsafe class SqliteApi
{
    public static readonly delegate* unmanaged[Cdecl]<nint, byte*, SqliteModuleStruct*, nint, delegate* unmanaged[Cdecl]<nint, void>, int> create_module_v2;
    public static readonly delegate* unmanaged[Cdecl]<nint, byte*, int> declare_vtab;
    public static readonly delegate* unmanaged[Cdecl]<nint, int, int, int> vtab_config_int;
    public static readonly delegate* unmanaged[Cdecl]<nint, int> vtab_on_conflict;
    public static readonly delegate* unmanaged[Cdecl]<SqliteIndexInfo*, int, int, int> vtab_in;
    public static readonly delegate* unmanaged[Cdecl]<nint, nint*, int> vtab_in_first;
    public static readonly delegate* unmanaged[Cdecl]<nint, nint*, int> vtab_in_next;
    public static readonly delegate* unmanaged[Cdecl]<SqliteIndexInfo*, int, nint*, int> vtab_rhs_value;
    public static readonly delegate* unmanaged[Cdecl]<ulong, void*> malloc64;
    public static readonly delegate* unmanaged[Cdecl]<void*, void> free;
    public static readonly delegate* unmanaged[Cdecl]<nint, byte*> errmsg;
    public static readonly delegate* unmanaged[Cdecl]<nint, int> extended_errcode;

    public static readonly delegate* unmanaged[Cdecl]<nint, byte*, int, nint*, nint, int> prepare_v2;
    public static readonly delegate* unmanaged[Cdecl]<nint, int> step;
    public static readonly delegate* unmanaged[Cdecl]<nint, int> reset;
    public static readonly delegate* unmanaged[Cdecl]<nint, int> finalize;
    public static readonly delegate* unmanaged[Cdecl]<nint, int> clear_bindings;
    public static readonly delegate* unmanaged[Cdecl]<nint, int, long, int> bind_int64;
    public static readonly delegate* unmanaged[Cdecl]<nint, int, double, int> bind_double;
    public static readonly delegate* unmanaged[Cdecl]<nint, int, byte*, int, nint, int> bind_text;
    public static readonly delegate* unmanaged[Cdecl]<nint, int, void*, int, nint, int> bind_blob;
    public static readonly delegate* unmanaged[Cdecl]<nint, int, long, int> bind_zeroblob64;
    public static readonly delegate* unmanaged[Cdecl]<nint, int, long> column_int64;
    public static readonly delegate* unmanaged[Cdecl]<nint, int, double> column_double;
    public static readonly delegate* unmanaged[Cdecl]<nint, int, void*> column_blob;
    public static readonly delegate* unmanaged[Cdecl]<nint, int, byte*> column_text;
    public static readonly delegate* unmanaged[Cdecl]<nint, int, int> column_bytes;
    public static readonly delegate* unmanaged[Cdecl]<nint, int, int> column_type;

    public static readonly delegate* unmanaged[Cdecl]<nint, byte*, byte*, byte*, long, int, nint*, int> blob_open;
    public static readonly delegate* unmanaged[Cdecl]<nint, long, int> blob_reopen;
    public static readonly delegate* unmanaged[Cdecl]<nint, int> blob_close;
    public static readonly delegate* unmanaged[Cdecl]<nint, void*, int, int, int> blob_read;
    public static readonly delegate* unmanaged[Cdecl]<nint, void*, int, int, int> blob_write;
    public static readonly delegate* unmanaged[Cdecl]<nint, int> blob_bytes;

    public static readonly delegate* unmanaged[Cdecl]<nint, int> value_type;
    public static readonly delegate* unmanaged[Cdecl]<nint, int> value_bytes;
    public static readonly delegate* unmanaged[Cdecl]<nint, void*> value_blob;
    public static readonly delegate* unmanaged[Cdecl]<nint, byte*> value_text;
    public static readonly delegate* unmanaged[Cdecl]<nint, long> value_int64;
    public static readonly delegate* unmanaged[Cdecl]<nint, double> value_double;
    public static readonly delegate* unmanaged[Cdecl]<nint, int> value_numeric_type;

    public static readonly delegate* unmanaged[Cdecl]<nint, void*, int, nint, void> result_blob;
    public static readonly delegate* unmanaged[Cdecl]<nint, byte*, int, nint, void> result_text;
    public static readonly delegate* unmanaged[Cdecl]<nint, double, void> result_double;
    public static readonly delegate* unmanaged[Cdecl]<nint, long, void> result_int64;
    public static readonly delegate* unmanaged[Cdecl]<nint, void> result_null;
    public static readonly delegate* unmanaged[Cdecl]<nint, byte*, int, void> result_error;
    public static readonly delegate* unmanaged[Cdecl]<nint, int, void> result_error_code;
    public static readonly delegate* unmanaged[Cdecl]<nint, nint> context_db_handle;

    public static readonly delegate* unmanaged[Cdecl]<nint, byte*, int, int, nint,
        delegate* unmanaged[Cdecl]<nint, int, nint*, void>, nint, nint,
        delegate* unmanaged[Cdecl]<nint, void>, int> create_function_v2;

    /// <summary>SQLITE_TRANSIENT: SQLite copies the bytes before the call returns.</summary>
    public static readonly nint Transient = -1;

    static SqliteApi()
    {
        var lib = LoadLibrary();
        create_module_v2 = (delegate* unmanaged[Cdecl]<nint, byte*, SqliteModuleStruct*, nint, delegate* unmanaged[Cdecl]<nint, void>, int>)Get(lib, "sqlite3_create_module_v2");
        declare_vtab = (delegate* unmanaged[Cdecl]<nint, byte*, int>)Get(lib, "sqlite3_declare_vtab");
        vtab_config_int = (delegate* unmanaged[Cdecl]<nint, int, int, int>)Get(lib, "sqlite3_vtab_config");
        vtab_on_conflict = (delegate* unmanaged[Cdecl]<nint, int>)Get(lib, "sqlite3_vtab_on_conflict");
        vtab_in = (delegate* unmanaged[Cdecl]<SqliteIndexInfo*, int, int, int>)Get(lib, "sqlite3_vtab_in");
        vtab_in_first = (delegate* unmanaged[Cdecl]<nint, nint*, int>)Get(lib, "sqlite3_vtab_in_first");
        vtab_in_next = (delegate* unmanaged[Cdecl]<nint, nint*, int>)Get(lib, "sqlite3_vtab_in_next");
        vtab_rhs_value = (delegate* unmanaged[Cdecl]<SqliteIndexInfo*, int, nint*, int>)Get(lib, "sqlite3_vtab_rhs_value");
        malloc64 = (delegate* unmanaged[Cdecl]<ulong, void*>)Get(lib, "sqlite3_malloc64");
        free = (delegate* unmanaged[Cdecl]<void*, void>)Get(lib, "sqlite3_free");
        errmsg = (delegate* unmanaged[Cdecl]<nint, byte*>)Get(lib, "sqlite3_errmsg");
        extended_errcode = (delegate* unmanaged[Cdecl]<nint, int>)Get(lib, "sqlite3_extended_errcode");

        prepare_v2 = (delegate* unmanaged[Cdecl]<nint, byte*, int, nint*, nint, int>)Get(lib, "sqlite3_prepare_v2");
        step = (delegate* unmanaged[Cdecl]<nint, int>)Get(lib, "sqlite3_step");
        reset = (delegate* unmanaged[Cdecl]<nint, int>)Get(lib, "sqlite3_reset");
        finalize = (delegate* unmanaged[Cdecl]<nint, int>)Get(lib, "sqlite3_finalize");
        clear_bindings = (delegate* unmanaged[Cdecl]<nint, int>)Get(lib, "sqlite3_clear_bindings");
        bind_int64 = (delegate* unmanaged[Cdecl]<nint, int, long, int>)Get(lib, "sqlite3_bind_int64");
        bind_double = (delegate* unmanaged[Cdecl]<nint, int, double, int>)Get(lib, "sqlite3_bind_double");
        bind_text = (delegate* unmanaged[Cdecl]<nint, int, byte*, int, nint, int>)Get(lib, "sqlite3_bind_text");
        bind_blob = (delegate* unmanaged[Cdecl]<nint, int, void*, int, nint, int>)Get(lib, "sqlite3_bind_blob");
        bind_zeroblob64 = (delegate* unmanaged[Cdecl]<nint, int, long, int>)Get(lib, "sqlite3_bind_zeroblob64");
        column_int64 = (delegate* unmanaged[Cdecl]<nint, int, long>)Get(lib, "sqlite3_column_int64");
        column_double = (delegate* unmanaged[Cdecl]<nint, int, double>)Get(lib, "sqlite3_column_double");
        column_blob = (delegate* unmanaged[Cdecl]<nint, int, void*>)Get(lib, "sqlite3_column_blob");
        column_text = (delegate* unmanaged[Cdecl]<nint, int, byte*>)Get(lib, "sqlite3_column_text");
        column_bytes = (delegate* unmanaged[Cdecl]<nint, int, int>)Get(lib, "sqlite3_column_bytes");
        column_type = (delegate* unmanaged[Cdecl]<nint, int, int>)Get(lib, "sqlite3_column_type");

        blob_open = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, byte*, long, int, nint*, int>)Get(lib, "sqlite3_blob_open");
        blob_reopen = (delegate* unmanaged[Cdecl]<nint, long, int>)Get(lib, "sqlite3_blob_reopen");
        blob_close = (delegate* unmanaged[Cdecl]<nint, int>)Get(lib, "sqlite3_blob_close");
        blob_read = (delegate* unmanaged[Cdecl]<nint, void*, int, int, int>)Get(lib, "sqlite3_blob_read");
        blob_write = (delegate* unmanaged[Cdecl]<nint, void*, int, int, int>)Get(lib, "sqlite3_blob_write");
        blob_bytes = (delegate* unmanaged[Cdecl]<nint, int>)Get(lib, "sqlite3_blob_bytes");

        value_type = (delegate* unmanaged[Cdecl]<nint, int>)Get(lib, "sqlite3_value_type");
        value_bytes = (delegate* unmanaged[Cdecl]<nint, int>)Get(lib, "sqlite3_value_bytes");
        value_blob = (delegate* unmanaged[Cdecl]<nint, void*>)Get(lib, "sqlite3_value_blob");
        value_text = (delegate* unmanaged[Cdecl]<nint, byte*>)Get(lib, "sqlite3_value_text");
        value_int64 = (delegate* unmanaged[Cdecl]<nint, long>)Get(lib, "sqlite3_value_int64");
        value_double = (delegate* unmanaged[Cdecl]<nint, double>)Get(lib, "sqlite3_value_double");
        value_numeric_type = (delegate* unmanaged[Cdecl]<nint, int>)Get(lib, "sqlite3_value_numeric_type");

        result_blob = (delegate* unmanaged[Cdecl]<nint, void*, int, nint, void>)Get(lib, "sqlite3_result_blob");
        result_text = (delegate* unmanaged[Cdecl]<nint, byte*, int, nint, void>)Get(lib, "sqlite3_result_text");
        result_double = (delegate* unmanaged[Cdecl]<nint, double, void>)Get(lib, "sqlite3_result_double");
        result_int64 = (delegate* unmanaged[Cdecl]<nint, long, void>)Get(lib, "sqlite3_result_int64");
        result_null = (delegate* unmanaged[Cdecl]<nint, void>)Get(lib, "sqlite3_result_null");
        result_error = (delegate* unmanaged[Cdecl]<nint, byte*, int, void>)Get(lib, "sqlite3_result_error");
        result_error_code = (delegate* unmanaged[Cdecl]<nint, int, void>)Get(lib, "sqlite3_result_error_code");
        context_db_handle = (delegate* unmanaged[Cdecl]<nint, nint>)Get(lib, "sqlite3_context_db_handle");
        create_function_v2 = (delegate* unmanaged[Cdecl]<nint, byte*, int, int, nint,
            delegate* unmanaged[Cdecl]<nint, int, nint*, void>, nint, nint,
            delegate* unmanaged[Cdecl]<nint, void>, int>)Get(lib, "sqlite3_create_function_v2");
    }

    private static nint LoadLibrary()
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

    private static nint Get(nint lib, string name) => NativeLibrary.GetExport(lib, name);
}
