namespace DiskAnn.Sqlite;

/// <summary>A prepared statement on the connection the module runs in; prepared once, reset after each use.</summary>
internal sealed unsafe class SqliteStatement : IDisposable
{
    private readonly nint _db;
    private nint _stmt;

    public SqliteStatement(nint db, string sql)
    {
        _db = db;
        var z = Utf8.Z(sql);
        nint stmt;
        fixed (byte* p = z)
        {
            var rc = SqliteApi.prepare_v2(db, p, z.Length, &stmt, 0);
            if (rc != SqliteConstants.OK)
            {
                throw Error(db, rc, sql);
            }
        }

        _stmt = stmt;
    }

    public static void Execute(nint db, string sql)
    {
        using var statement = new SqliteStatement(db, sql);
        while (statement.Step())
        {
        }
    }

    public SqliteStatement Bind(int index, long value)
    {
        Check(SqliteApi.bind_int64(_stmt, index, value));
        return this;
    }

    public SqliteStatement Bind(int index, double value)
    {
        Check(SqliteApi.bind_double(_stmt, index, value));
        return this;
    }

    public SqliteStatement Bind(int index, string value)
    {
        var z = Utf8.Z(value);
        fixed (byte* p = z)
        {
            Check(SqliteApi.bind_text(_stmt, index, p, z.Length - 1, SqliteApi.Transient));
        }

        return this;
    }

    public SqliteStatement Bind(int index, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
        {
            // A non-null pointer even for an empty span, so that SQLite stores an empty BLOB rather than NULL.
            byte dummy = 0;
            Check(SqliteApi.bind_blob(_stmt, index, p is null ? &dummy : p, value.Length, SqliteApi.Transient));
        }

        return this;
    }

    /// <summary>Binds UTF-8 text as it is (no conversion), so text read from SQLite goes back byte for byte.</summary>
    public SqliteStatement BindText(int index, ReadOnlySpan<byte> utf8)
    {
        fixed (byte* p = utf8)
        {
            byte dummy = 0;
            Check(SqliteApi.bind_text(_stmt, index, p is null ? &dummy : p, utf8.Length, SqliteApi.Transient));
        }

        return this;
    }

    public SqliteStatement BindNull(int index)
    {
        Check(SqliteApi.bind_null(_stmt, index));
        return this;
    }

    public SqliteStatement BindZeroBlob(int index, long length)
    {
        Check(SqliteApi.bind_zeroblob64(_stmt, index, length));
        return this;
    }

    /// <summary>Steps once: true for a row, false when done. An error resets the statement and throws.</summary>
    public bool Step()
    {
        var rc = SqliteApi.step(_stmt);
        if (rc == SqliteConstants.ROW)
        {
            return true;
        }

        if (rc == SqliteConstants.DONE)
        {
            return false;
        }

        SqliteApi.reset(_stmt);
        throw Error(_db, rc, null);
    }

    public void Reset()
    {
        SqliteApi.reset(_stmt);
        SqliteApi.clear_bindings(_stmt);
    }

    public long Int64(int column) => SqliteApi.column_int64(_stmt, column);

    public double Double(int column) => SqliteApi.column_double(_stmt, column);

    public string? Text(int column) => Utf8.Read(SqliteApi.column_text(_stmt, column));

    /// <summary>The storage class of a result column (SqliteConstants.INTEGER, FLOAT, TEXT, BLOB or NULL).</summary>
    public int Type(int column) => SqliteApi.column_type(_stmt, column);

    /// <summary>A result column as UTF-8 text bytes, valid until the next step.</summary>
    public ReadOnlySpan<byte> TextBytes(int column)
    {
        var p = SqliteApi.column_text(_stmt, column);
        var n = SqliteApi.column_bytes(_stmt, column);
        return p is null ? default : new ReadOnlySpan<byte>(p, n);
    }

    public ReadOnlySpan<byte> Blob(int column)
    {
        var p = SqliteApi.column_blob(_stmt, column);
        var n = SqliteApi.column_bytes(_stmt, column);
        return p is null ? default : new ReadOnlySpan<byte>(p, n);
    }

    public void Dispose()
    {
        if (_stmt != 0)
        {
            SqliteApi.finalize(_stmt);
            _stmt = 0;
        }
    }

    private void Check(int rc)
    {
        if (rc != SqliteConstants.OK)
        {
            throw Error(_db, rc, null);
        }
    }

    public static SqliteCallException Error(nint db, int rc, string? sql)
    {
        var message = Utf8.Read(SqliteApi.errmsg(db)) ?? $"SQLite error {rc}";
        return new SqliteCallException(rc, sql is null ? message : $"{message} (in: {sql})");
    }
}
