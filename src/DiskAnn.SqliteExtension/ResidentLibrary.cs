using System.Runtime.InteropServices;

namespace DiskAnn.SqliteExtension;

/// <summary>
/// Keeps this shared library loaded until the process ends. SQLite dlclose()s an extension when the last
/// connection that loaded it closes (Python's sqlite3 module, the shell's <c>.open</c>); the .NET runtime inside
/// it cannot be unloaded (its GC and finalizer threads keep running code of the library), so unmapping it would
/// kill the process. Marking the library RTLD_NODELETE (or pinning it, on Windows) turns that dlclose into a no-op.
/// </summary>
internal static unsafe partial class ResidentLibrary
{
    private static int _pinned;

    /// <summary>
    /// Pins the library that contains <paramref name="function"/> (a function of this library), once per process.
    /// Best effort: if the system refuses, there is no other way to keep the library, and loading it still works.
    /// </summary>
    public static void Pin(nint function)
    {
        if (Interlocked.Exchange(ref _pinned, 1) != 0)
        {
            return;
        }

        try
        {
            PinLoaded(function);
        }
        catch (Exception)
        {
            // e.g. no C library by the name "libc": an exception must not escape into SQLite's load call.
        }
    }

    private static void PinLoaded(nint function)
    {
        if (OperatingSystem.IsWindows())
        {
            // GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN
            GetModuleHandleExW(0x4 | 0x1, function, out _);
            return;
        }

        // The library's own path, then dlopen of that path with RTLD_NOLOAD (only find the copy already loaded,
        // never load a second one) and RTLD_NODELETE (never unmap it, whatever dlclose calls follow).
        // The extra reference this dlopen takes is never released: the library stays either way.
        DlInfo info;
        if (dladdr(function, &info) != 0 && info.FileName != null)
        {
            var (noLoad, noDelete) = OperatingSystem.IsMacOS() ? (0x10, 0x80) : (0x4, 0x1000);
            const int Lazy = 0x1;
            dlopen(info.FileName, Lazy | noLoad | noDelete);
        }
    }

    /// <summary><c>Dl_info</c> of dlfcn.h.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public byte* FileName;
        public nint Base;
        public byte* SymbolName;
        public nint SymbolAddress;
    }

    [LibraryImport("libc")]
    private static partial int dladdr(nint address, DlInfo* info);

    [LibraryImport("libc")]
    private static partial nint dlopen(byte* fileName, int flags);

    [LibraryImport("kernel32")]
    private static partial int GetModuleHandleExW(int flags, nint address, out nint module);
}
