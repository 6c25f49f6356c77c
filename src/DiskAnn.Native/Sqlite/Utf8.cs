using System.Runtime.InteropServices;
using System.Text;

namespace DiskAnn.Sqlite;

/// <summary>UTF-8 strings to and from SQLite.</summary>
internal static unsafe class Utf8
{
    public static string? Read(byte* text) => text is null ? null : Marshal.PtrToStringUTF8((nint)text);

    /// <summary>A NUL-terminated copy allocated by sqlite3_malloc, for the strings SQLite frees itself (zErrMsg, pzErr).</summary>
    public static byte* SqliteCopy(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        var buffer = (byte*)SqliteApi.malloc64((ulong)count + 1);
        if (buffer is null)
        {
            return null;
        }

        Encoding.UTF8.GetBytes(value, new Span<byte>(buffer, count));
        buffer[count] = 0;
        return buffer;
    }

    /// <summary>A NUL-terminated UTF-8 array for a call that copies it.</summary>
    public static byte[] Z(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }
}
