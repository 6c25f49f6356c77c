using DiskAnn.Functions;
using DiskAnn.VirtualTable;

namespace DiskAnn.Sqlite;

/// <summary>Registers the module and the functions on one connection (sqlite3*). Registering again replaces them: harmless.</summary>
internal static unsafe class DiskAnnRegistration
{
    private static readonly byte[] ModuleName = Utf8.Z("diskann");

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

        VectorFunctions.Register(db);
    }
}
