using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DiskAnn.SqliteExtension;

/// <summary>The entry point SQLite calls when it loads the shared library (<c>.load diskann</c>).</summary>
public static unsafe class SqliteExtension
{
    /// <summary>
    /// <c>int sqlite3_diskann_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi)</c>:
    /// registers the <c>diskann</c> module and the <c>vector_*</c> functions on <paramref name="db"/>
    /// through SQLite's own function table. Returns SQLITE_OK, or an error code and a message.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "sqlite3_diskann_init", CallConvs = [typeof(CallConvCdecl)])]
    public static int Init(nint db, byte** pzErrMsg, nint pApi)
    {
        // First, before anything can fail: SQLite also dlclose()s the library when this function returns an
        // error, and the runtime this very call started must not be unmapped under its threads.
        ResidentLibrary.Pin((nint)(delegate* unmanaged[Cdecl]<nint, byte**, nint, int>)&Init);
        return DiskAnnRegistration.RegisterExtension(db, pzErrMsg, pApi);
    }
}
