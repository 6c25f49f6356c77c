using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace DiskAnn.Benchmarks;

/// <summary>Building, sizing and querying a <c>diskann</c> table through plain SQL.</summary>
public static class SqlIndex
{
    public readonly record struct BuildTimes(double InsertSeconds, double CommitSeconds, double CpuSeconds)
    {
        public double TotalSeconds => InsertSeconds + CommitSeconds;

        /// <summary>Process CPU time over wall time: about 2 when both cores work.</summary>
        public double CoresUsed => CpuSeconds / TotalSeconds;
    }

    public static SqliteConnection Open(string path, bool wal = true)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        connection.LoadDiskAnn();
        if (wal)
        {
            Exec(connection, "PRAGMA journal_mode=WAL");
        }

        return connection;
    }

    public static void Exec(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public static string CreateSql(Dataset data, string table, string? extraOptions)
    {
        var options = $"dimension={data.Dimension}, metric={data.SqlMetric}";
        if (!string.IsNullOrWhiteSpace(extraOptions))
        {
            options += ", " + extraOptions;
        }

        return $"CREATE VIRTUAL TABLE {table} USING diskann({options})";
    }

    /// <summary>CREATE, then every (rowid, base index) pair inserted in one transaction; linking happens at COMMIT.</summary>
    public static BuildTimes Build(SqliteConnection connection, Dataset data, string table, string? extraOptions, IEnumerable<(long RowId, int Index)> rows)
    {
        Exec(connection, CreateSql(data, table, extraOptions));
        return Load(connection, data, table, rows);
    }

    /// <summary>Every (rowid, base index) pair inserted into an existing table in one transaction, timed.</summary>
    public static BuildTimes Load(SqliteConnection connection, Dataset data, string table, IEnumerable<(long RowId, int Index)> rows)
    {
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        using (var transaction = connection.BeginTransaction())
        {
            Insert(connection, transaction, data, table, rows);
            var insertSeconds = sw.Elapsed.TotalSeconds;
            sw.Restart();
            transaction.Commit();
            var commitSeconds = sw.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            return new BuildTimes(insertSeconds, commitSeconds, cpu);
        }
    }

    public static IEnumerable<(long RowId, int Index)> AllRows(Dataset data) => Enumerable.Range(0, data.BaseCount).Select(i => ((long)i + 1, i));

    /// <summary>Inserts rows with one prepared statement and one reused BLOB buffer.</summary>
    public static void Insert(SqliteConnection connection, SqliteTransaction? transaction, Dataset data, string table, IEnumerable<(long RowId, int Index)> rows, string column = "vector")
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO {table}(rowid, {column}) VALUES ($id, $v)";
        var id = command.Parameters.Add("$id", SqliteType.Integer);
        var blob = new byte[data.Dimension * sizeof(float)];
        var v = command.Parameters.Add("$v", SqliteType.Blob);
        v.Value = blob;
        command.Prepare();
        foreach (var (rowId, index) in rows)
        {
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Base(index)).CopyTo(blob);
            id.Value = rowId;
            command.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Bytes the index's shadow tables take in the file: by <c>dbstat</c> when the SQLite build has it, otherwise the
    /// pages in use ((page_count - freelist_count) x page_size) minus those of an empty database holding only an empty
    /// index with the same CREATE; the other tables of the database must be empty or absent then. The breakdown gives
    /// the BLOB payload of each shadow table.
    /// </summary>
    public static (long Total, string Breakdown) IndexBytes(SqliteConnection connection, Dataset data, string table, string? extraOptions)
    {
        var payload = string.Join(", ", new[] { "vectors", "graph", "config" }.Select(suffix =>
        {
            var column = suffix == "config" ? "value" : "data";
            var bytes = Convert.ToInt64(Scalar(connection, $"SELECT coalesce(sum(length({column})), 0) FROM {table}_{suffix}") ?? 0L);
            return $"{table}_{suffix} {Report.Mb(bytes)} MB";
        }));
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT name, sum(pgsize) FROM dbstat GROUP BY name";
            using var reader = command.ExecuteReader();
            long total = 0;
            while (reader.Read())
            {
                var name = reader.GetString(0);
                if (name.StartsWith(table + "_", StringComparison.Ordinal) || name.StartsWith("sqlite_autoindex_" + table + "_", StringComparison.Ordinal))
                {
                    total += reader.GetInt64(1);
                }
            }

            return (total, "dbstat; BLOB payload: " + payload);
        }
        catch (SqliteException)
        {
            var baseline = EmptyBaseline(data, table, extraOptions);
            return (UsedBytes(connection) - baseline, $"no dbstat in this SQLite: pages in use minus an empty index ({Report.Mb(baseline)} MB); BLOB payload: " + payload);
        }
    }

    /// <summary>Pages in use in the main database, in bytes (free-list pages excluded).</summary>
    public static long UsedBytes(SqliteConnection connection)
    {
        var pages = Convert.ToInt64(Scalar(connection, "PRAGMA page_count"));
        var free = Convert.ToInt64(Scalar(connection, "PRAGMA freelist_count"));
        var size = Convert.ToInt64(Scalar(connection, "PRAGMA page_size"));
        return (pages - free) * size;
    }

    private static long EmptyBaseline(Dataset data, string table, string? extraOptions)
    {
        var path = Path.Combine(Path.GetTempPath(), $"diskann-baseline-{Environment.ProcessId}-{Guid.NewGuid():N}.db");
        try
        {
            using var connection = Open(path);
            Exec(connection, CreateSql(data, table, extraOptions));
            return UsedBytes(connection);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(path + suffix);
            }
        }
    }

    public static long FileBytes(string path) => new[] { "", "-wal" }.Select(s => new FileInfo(path + s)).Where(f => f.Exists).Sum(f => f.Length);
}

/// <summary>A prepared KNN statement reused for every query: <c>vector MATCH $q AND k = $k [AND search_list_size = $L]</c>.</summary>
public sealed class KnnQuery : IDisposable
{
    private readonly SqliteCommand _command;
    private readonly SqliteParameter _query;
    private readonly SqliteParameter? _listSize;

    public KnnQuery(SqliteConnection connection, string table, int k, bool withListSize, string? extraWhere = null)
        : this(connection, $"SELECT rowid, distance FROM {table} WHERE vector MATCH $q AND k = {k}"
            + (withListSize ? " AND search_list_size = $L" : "")
            + (extraWhere is null ? "" : " AND " + extraWhere))
    {
    }

    /// <summary>
    /// Any query whose first column is a rowid (nearest first), with the query vector as <c>$q</c> and, when the text
    /// has it, the search_list_size as <c>$L</c>.
    /// </summary>
    public KnnQuery(SqliteConnection connection, string sql)
    {
        _command = connection.CreateCommand();
        _command.CommandText = sql;
        _query = _command.Parameters.Add("$q", SqliteType.Blob);
        if (sql.Contains("$L", StringComparison.Ordinal))
        {
            _listSize = _command.Parameters.Add("$L", SqliteType.Integer);
            _listSize.Value = 100;
        }

        _query.Value = Array.Empty<byte>();
    }

    public SqliteParameterCollection Parameters => _command.Parameters;

    public int ListSize
    {
        set => _listSize!.Value = value;
    }

    public void Prepare() => _command.Prepare();

    /// <summary>Runs one query; writes base indices (rowid - 1, or mapped) nearest first, returns the row count.</summary>
    public int Run(byte[] query, Span<int> found, Func<long, int>? rowIdToIndex = null)
    {
        _query.Value = query;
        using var reader = _command.ExecuteReader();
        var n = 0;
        while (reader.Read())
        {
            var rowId = reader.GetInt64(0);

            // The other columns are read as a caller would read them (EF Core materializes every column it selects).
            for (var column = 1; column < reader.FieldCount; column++)
            {
                _ = reader.GetFieldType(column) == typeof(string) ? reader.GetString(column) : (object?)reader.GetDouble(column);
            }

            if (n < found.Length)
            {
                found[n] = rowIdToIndex is null ? (int)(rowId - 1) : rowIdToIndex(rowId);
            }

            n++;
        }

        return Math.Min(n, found.Length);
    }

    public void Dispose() => _command.Dispose();
}
