namespace DiskAnn.Sqlite;

/// <summary>
/// An incremental-I/O handle on one BLOB column of a shadow table, moved from row to row with
/// sqlite3_blob_reopen (cheap) instead of opened per write. It is closed at the end of every transaction.
/// </summary>
internal sealed unsafe class SqliteBlob : IDisposable
{
    private readonly nint _db;
    private readonly byte[] _schema;
    private readonly byte[] _table;
    private readonly byte[] _column;
    private nint _blob;
    private long _row = -1;

    public SqliteBlob(nint db, string schema, string table, string column)
    {
        _db = db;
        _schema = Utf8.Z(schema);
        _table = Utf8.Z(table);
        _column = Utf8.Z(column);
    }

    public void Write(long row, ReadOnlySpan<byte> data, int offset)
    {
        MoveTo(row);
        fixed (byte* p = data)
        {
            var rc = SqliteApi.blob_write(_blob, p, data.Length, offset);
            if (rc == SqliteConstants.ABORT)
            {
                // The handle expired (its row was rewritten by another statement): open it again.
                Close();
                MoveTo(row);
                rc = SqliteApi.blob_write(_blob, p, data.Length, offset);
            }

            if (rc != SqliteConstants.OK)
            {
                Close();
                throw SqliteStatement.Error(_db, rc, null);
            }
        }
    }

    private void MoveTo(long row)
    {
        if (_blob != 0 && _row == row)
        {
            return;
        }

        int rc;
        if (_blob != 0)
        {
            rc = SqliteApi.blob_reopen(_blob, row);
            if (rc == SqliteConstants.OK)
            {
                _row = row;
                return;
            }

            Close();
        }

        nint blob;
        fixed (byte* schema = _schema)
        fixed (byte* table = _table)
        fixed (byte* column = _column)
        {
            rc = SqliteApi.blob_open(_db, schema, table, column, row, 1, &blob);
        }

        if (rc != SqliteConstants.OK)
        {
            if (blob != 0)
            {
                SqliteApi.blob_close(blob);
            }

            throw SqliteStatement.Error(_db, rc, null);
        }

        _blob = blob;
        _row = row;
    }

    public void Close()
    {
        if (_blob != 0)
        {
            SqliteApi.blob_close(_blob);
            _blob = 0;
            _row = -1;
        }
    }

    public void Dispose() => Close();
}
