using DiskAnn.Functions;
using DiskAnn.Sqlite;
using DiskAnn.VirtualTable;

namespace DiskAnn;

/// <summary>
/// Registers the module and the functions on one connection (sqlite3*). Registering again replaces them: harmless.
/// It lives with the module rather than in Sqlite/ so the binding stays below the virtual table and the functions.
/// </summary>
internal static unsafe class DiskAnnRegistration
{
    private static readonly byte[] ModuleName = Utf8.Z("diskann");

    /// <summary>Registers on a connection whose SQLite the <see cref="SqliteApi"/> table already points at.</summary>
    public static void Register(nint db)
    {
        fixed (byte* name = ModuleName)
        {
            var rc = SqliteApi.create_module_v2(db, name, DiskAnnModule.Module, 0, null);
            if (rc != SqliteConstants.OK)
            {
                throw SqliteStatement.Error(db, rc, null);
            }
        }

        fixed (byte* name = StatusModule.Name)
        {
            var rc = SqliteApi.create_module_v2(db, name, StatusModule.Module, 0, null);
            if (rc != SqliteConstants.OK)
            {
                throw SqliteStatement.Error(db, rc, null);
            }
        }

        VectorFunctions.Register(db);
        CacheSizeFunction.Register(db);
    }

    /// <summary>
    /// The body of the loadable extension's init function (<c>sqlite3_diskann_init</c>): fills the table
    /// from the <c>sqlite3_api_routines*</c> SQLite passed, then registers. Returns SQLITE_OK, or an error
    /// code with the message in <paramref name="errorMessage"/> (allocated by sqlite3_malloc; SQLite frees it).
    /// </summary>
    public static int RegisterExtension(nint db, byte** errorMessage, nint api)
    {
        try
        {
            SqliteApi.UseApiRoutines(api);
            Register(db);
            return SqliteConstants.OK;
        }
        catch (Exception e)
        {
            if (errorMessage is not null && SqliteApi.malloc64 is not null)
            {
                *errorMessage = Utf8.SqliteCopy(e.Message);
            }

            return e is SqliteCallException call ? call.ResultCode : SqliteConstants.ERROR;
        }
    }
}
