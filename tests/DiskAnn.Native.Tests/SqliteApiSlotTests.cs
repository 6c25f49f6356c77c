using System.Reflection;
using System.Runtime.InteropServices;
using DiskAnn.Sqlite;
using Microsoft.Data.Sqlite;

namespace DiskAnn.Native.Tests;

/// <summary>
/// The loadable extension reads SQLite's functions from <c>sqlite3_api_routines</c> by slot index: an
/// off-by-one would call the wrong function. e_sqlite3 hands its own api struct to an auto-extension, so
/// every slot the binding uses can be compared with the export of the same name.
/// </summary>
public sealed class SqliteApiSlotTests
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int ExtensionInit(nint db, nint errorMessage, nint api);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int AutoExtension(nint init);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int VersionNumber();

    private static nint ESqlite3()
    {
        SQLitePCL.Batteries_V2.Init();   // what Microsoft.Data.Sqlite does first; names the e_sqlite3 library
        return SqliteApi.LoadLibrary();
    }

    private static nint ApiRoutinesOfESqlite3(nint lib)
    {
        var autoExtension = Marshal.GetDelegateForFunctionPointer<AutoExtension>(NativeLibrary.GetExport(lib, "sqlite3_auto_extension"));
        var cancelAutoExtension = Marshal.GetDelegateForFunctionPointer<AutoExtension>(NativeLibrary.GetExport(lib, "sqlite3_cancel_auto_extension"));
        nint captured = 0;
        ExtensionInit capture = (_, _, api) =>
        {
            captured = api;
            return SqliteConstants.OK;
        };
        var init = Marshal.GetFunctionPointerForDelegate(capture);
        Assert.Equal(SqliteConstants.OK, autoExtension(init));
        try
        {
            using var connection = new SqliteConnection("Data Source=:memory:");
            connection.Open();
        }
        finally
        {
            cancelAutoExtension(init);
            GC.KeepAlive(capture);
        }

        Assert.NotEqual(0, captured);
        return captured;
    }

    [Fact]
    public void Every_slot_holds_the_routine_of_its_name()
    {
        var lib = ESqlite3();
        var api = ApiRoutinesOfESqlite3(lib);
        nint Slot(int index) => Marshal.ReadIntPtr(api, index * IntPtr.Size);

        var resolved = new List<string>();
        var wrong = new List<string>();
        SqliteApi.Fill((name, slot) =>
        {
            var export = NativeLibrary.GetExport(lib, "sqlite3_" + name);
            if (Slot(slot) != export)
            {
                wrong.Add($"{name} (slot {slot})");
            }

            resolved.Add(name);
            return export;
        });

        Assert.Empty(wrong);
        Assert.Equal(NativeLibrary.GetExport(lib, "sqlite3_libversion_number"), Slot(SqliteApi.LibVersionNumberSlot));
        Assert.Equal(NativeLibrary.GetExport(lib, "sqlite3_malloc64"), Slot(SqliteApi.Malloc64Slot));

        // Fill sets every function-pointer field, each from a different routine.
        var fields = typeof(SqliteApi).GetFields(BindingFlags.Public | BindingFlags.Static).Count(f => f.FieldType.IsFunctionPointer);
        Assert.Equal(fields, resolved.Count);
        Assert.Equal(resolved.Count, resolved.Distinct().Count());
    }

    [Fact]
    public void An_api_table_of_a_sqlite_older_than_3_38_is_refused_with_its_version()
    {
        var lib = ESqlite3();
        VersionNumber version = () => 3_037_002;
        var slots = new nint[SqliteApi.Malloc64Slot + 1];
        slots[SqliteApi.LibVersionNumberSlot] = Marshal.GetFunctionPointerForDelegate(version);
        slots[SqliteApi.Malloc64Slot] = NativeLibrary.GetExport(lib, "sqlite3_malloc64");   // the one slot read before the check
        var table = GCHandle.Alloc(slots, GCHandleType.Pinned);
        try
        {
            var error = Assert.Throws<SqliteCallException>(() => SqliteApi.UseApiRoutines(table.AddrOfPinnedObject()));
            Assert.Equal("diskann needs SQLite 3.38.0 or later; this SQLite is 3.37.2", error.Message);
        }
        finally
        {
            table.Free();
            GC.KeepAlive(version);
        }
    }
}
