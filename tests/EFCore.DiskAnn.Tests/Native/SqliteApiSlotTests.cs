using System.Reflection;
using System.Runtime.InteropServices;
using DiskAnn.Sqlite;
using Microsoft.Data.Sqlite;

namespace EFCore.DiskAnn.Tests.Native;

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
        SQLitePCL.Batteries_V2.Init();   // what Microsoft.Data.Sqlite does first; names the e_sqlite3 library
        var lib = SqliteApi.LoadLibrary();
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
}
