using System.Runtime.InteropServices;
using DiskAnn.Sqlite;

namespace DiskAnn.VirtualTable;

/// <summary>
/// The native <c>sqlite3_vtab_cursor</c> of a module's cursor: allocated outside the managed heap (SQLite keeps its
/// address) with a GC handle to the managed cursor object, freed by xClose. Shared by every module of this library.
/// </summary>
internal static unsafe class ManagedCursor
{
    public static SqliteVtabCursor* Allocate(object cursor)
    {
        var c = (SqliteVtabCursor*)NativeMemory.AllocZeroed((nuint)sizeof(SqliteVtabCursor));
        c->managed = GCHandle.ToIntPtr(GCHandle.Alloc(cursor));
        return c;
    }

    public static T Of<T>(SqliteVtabCursor* cursor)
        where T : class
        => (T)GCHandle.FromIntPtr(cursor->managed).Target!;

    /// <summary>xClose: frees the handle and the struct; never fails (there is nothing to report an error to).</summary>
    public static int Free(SqliteVtabCursor* cursor)
    {
        try
        {
            GCHandle.FromIntPtr(cursor->managed).Free();
        }
        catch
        {
            // the cursor is going away either way
        }

        NativeMemory.Free(cursor);
        return SqliteConstants.OK;
    }
}
