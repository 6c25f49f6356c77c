namespace DiskAnn.Sqlite;

/// <summary>
/// An error to hand back to SQLite: a result code and a message. The module's callbacks catch it (and
/// anything else) and return the code, because an exception must never cross into native code.
/// </summary>
internal sealed class SqliteCallException(int resultCode, string message) : Exception(message)
{
    public int ResultCode { get; } = resultCode;
}
