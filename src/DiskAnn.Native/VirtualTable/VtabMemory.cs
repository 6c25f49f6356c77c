using System.Runtime.InteropServices;
using DiskAnn.Sqlite;

namespace DiskAnn.VirtualTable;

/// <summary>The native <c>sqlite3_vtab</c> struct of a module's table, allocated outside the managed heap (SQLite keeps its address).</summary>
internal static unsafe class VtabMemory
{
    public static SqliteVtab* Allocate(nint managed)
    {
        var vtab = (SqliteVtab*)NativeMemory.AllocZeroed((nuint)sizeof(SqliteVtab));
        vtab->managed = managed;
        return vtab;
    }

    /// <summary>Frees the struct and any error message left in it (SQLite allocated it; SQLite frees it).</summary>
    public static void Free(SqliteVtab* vtab)
    {
        if (vtab->zErrMsg is not null)
        {
            SqliteApi.free(vtab->zErrMsg);
        }

        NativeMemory.Free(vtab);
    }
}
