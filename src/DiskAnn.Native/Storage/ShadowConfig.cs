using System.Buffers;
using System.Buffers.Binary;
using DiskAnn.Graph;
using DiskAnn.Sqlite;

namespace DiskAnn.Storage;

/// <summary>
/// The <c>&lt;name&gt;_config</c> key/value table: the settings written at creation and checked against the
/// declaration on every open (format version, dimension, max_degree, chunk_slots, metric, vector_encoding), and
/// the search starting points (entry, seeds). It also reads and writes keys for others: the change log keeps
/// <c>generation</c> and <c>changes:&lt;g&gt;</c> here (see <see cref="ChangeLog"/>).
/// </summary>
internal sealed class ShadowConfig : IDisposable
{
    /// <summary>
    /// The storage format this build writes. Version 3 added the <c>columns</c> key and the <c>_columns</c> shadow table
    /// (filter columns); version 2 files, which have neither, have no filter columns. Version 2 added the
    /// <c>vector_encoding</c> key (int8 vectors); version 1 files, which have none, are float32. Both are still read;
    /// other versions are refused on open.
    /// </summary>
    public const int FormatVersion = 3;

    /// <summary>The first version with filter columns.</summary>
    private const int FilterColumnsVersion = 3;

    private const int OldestReadableVersion = 1;

    // The keys this type owns; FORMAT.md says what each value means.
    private const string FormatVersionKey = "format_version";
    private const string DimensionKey = "dimension";
    private const string MaxDegreeKey = "max_degree";
    private const string ChunkSlotsKey = "chunk_slots";
    private const string MetricKey = "metric";
    private const string VectorEncodingKey = "vector_encoding";
    private const string EntryKey = "entry";
    private const string SeedsKey = "seeds";
    private const string ColumnsKey = "columns";

    private readonly ShadowSchema _tables;

    // Prepared once per connection: every commit that writes the index sets keys (entry, generation, change log).
    private SqliteStatement? _set;
    private SqliteStatement? _select;
    private SqliteStatement? _delete;

    public ShadowConfig(ShadowSchema tables) => _tables = tables;

    /// <summary>Writes the settings of a table just created (its shadow tables empty): an empty index, no entry yet.</summary>
    public static void Initialize(ShadowSchema tables, GraphOptions options, int chunkSlots)
    {
        using var config = new ShadowConfig(tables);
        config.Set(FormatVersionKey, FormatVersion);
        config.Set(DimensionKey, options.Dimension);
        config.Set(MaxDegreeKey, options.MaxDegree);
        config.Set(ChunkSlotsKey, chunkSlots);
        config.Set(MetricKey, (long)options.Metric);
        config.Set(VectorEncodingKey, (long)options.Quantization);
        config.Set(EntryKey, -1);
        config.Set(ColumnsKey, Filters.FilterColumn.Declarations(options.FilterColumns));

        // A random first generation: a table dropped and created again never repeats a generation of the one before,
        // so (file, table, generation) names one committed state, which the connections of a process share an image of.
        config.Set(ChangeLog.GenerationKey, Random.Shared.NextInt64(1, 1L << 48) << 8);
    }

    /// <summary>The stored settings that must match the table's declaration; throws on a format or shape mismatch.</summary>
    public (int ChunkSlots, int Entry) Read(GraphOptions options)
    {
        var table = _tables.Table;
        var config = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var select = new SqliteStatement(_tables.Db, $"SELECT key, value FROM {_tables.Config}"))
        {
            while (select.Step())
            {
                config[select.Text(0) ?? ""] = select.Int64(1);
            }
        }

        if (!config.TryGetValue(FormatVersionKey, out var version))
        {
            throw new SqliteCallException(SqliteConstants.CORRUPT_VTAB, $"diskann table \"{table}\": its config shadow table has no format_version");
        }

        if (version < OldestReadableVersion || version > FormatVersion)
        {
            throw new SqliteCallException(SqliteConstants.ERROR,
                $"diskann table \"{table}\" uses storage format version {version}, but this build of DiskAnn reads versions {OldestReadableVersion} to {FormatVersion}; rebuild the index with a matching version");
        }

        var encoding = (DiskAnnQuantization)config.GetValueOrDefault(VectorEncodingKey, (long)DiskAnnQuantization.None);
        if (encoding != options.Quantization)
        {
            throw new SqliteCallException(SqliteConstants.CORRUPT_VTAB,
                $"diskann table \"{table}\": its vectors are stored as {EncodingName(encoding)} but its declaration says quantization={(options.Quantization == DiskAnnQuantization.Int8 ? "int8" : "none")}");
        }

        if (config.GetValueOrDefault(DimensionKey) != options.Dimension || config.GetValueOrDefault(MaxDegreeKey) != options.MaxDegree)
        {
            throw new SqliteCallException(SqliteConstants.CORRUPT_VTAB,
                $"diskann table \"{table}\": stored dimension/max_degree ({config.GetValueOrDefault(DimensionKey)}/{config.GetValueOrDefault(MaxDegreeKey)}) differ from its declaration ({options.Dimension}/{options.MaxDegree})");
        }

        // The filter columns the declaration names must be the ones the table was created with (the _columns table's shape).
        var declared = Filters.FilterColumn.Declarations(options.FilterColumns);
        var stored = version >= FilterColumnsVersion ? ReadText(ColumnsKey) : "";
        if (stored != declared)
        {
            throw new SqliteCallException(SqliteConstants.CORRUPT_VTAB,
                $"diskann table \"{table}\": stored filter columns ({(stored is null or "" ? "none" : stored)}) differ from its declaration ({(declared.Length == 0 ? "none" : declared)})");
        }

        return ((int)config.GetValueOrDefault(ChunkSlotsKey, 1), (int)config.GetValueOrDefault(EntryKey, -1));
    }

    private static string EncodingName(DiskAnnQuantization encoding) => encoding switch
    {
        DiskAnnQuantization.None => "float32",
        DiskAnnQuantization.Int8 => "int8",
        _ => $"unknown encoding {(int)encoding}",
    };

    /// <summary>Stores the search starting points: the entry slot and the seed slots.</summary>
    public void WriteEntry(int entry, ReadOnlySpan<int> seeds)
    {
        Set(EntryKey, entry);
        Set(SeedsKey, seeds);
    }

    /// <summary>The stored search seeds (int32 slots), empty if none are stored.</summary>
    public int[] ReadSeeds(int slotCount)
    {
        var seeds = ReadInt32s(SeedsKey) ?? [];
        foreach (var seed in seeds)
        {
            if (seed < 0 || seed >= slotCount)
            {
                throw _tables.Corrupt($"search seed {seed} is outside the index");
            }
        }

        return seeds;
    }

    /// <summary>An integer value, or <paramref name="absent"/> when the key is not stored.</summary>
    public long ReadInt64(string key, long absent = 0)
    {
        var select = SelectValue(key);
        try
        {
            return select.Step() ? select.Int64(0) : absent;
        }
        finally
        {
            select.Reset();
        }
    }

    /// <summary>A text value, or null when the key is not stored.</summary>
    public string? ReadText(string key)
    {
        var select = SelectValue(key);
        try
        {
            return select.Step() ? select.Text(0) ?? "" : null;
        }
        finally
        {
            select.Reset();
        }
    }

    /// <summary>A BLOB of little-endian int32 values (a trailing partial value is ignored), or null when the key is not stored.</summary>
    public int[]? ReadInt32s(string key)
    {
        var select = SelectValue(key);
        try
        {
            if (!select.Step())
            {
                return null;
            }

            var blob = select.Blob(0);
            var values = new int[blob.Length / sizeof(int)];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadInt32LittleEndian(blob[(i * sizeof(int))..]);
            }

            return values;
        }
        finally
        {
            select.Reset();
        }
    }

    private SqliteStatement SelectValue(string key)
    {
        _select ??= new SqliteStatement(_tables.Db, $"SELECT value FROM {_tables.Config} WHERE key = ?1");
        return _select.Bind(1, key);
    }

    private SqliteStatement SetStatement()
        => _set ??= new SqliteStatement(_tables.Db, $"INSERT OR REPLACE INTO {_tables.Config}(key, value) VALUES (?1, ?2)");

    public void Set(string key, long value)
    {
        var set = SetStatement();
        try
        {
            set.Bind(1, key).Bind(2, value).Step();
        }
        finally
        {
            set.Reset();
        }
    }

    public void Set(string key, string value)
    {
        var set = SetStatement();
        try
        {
            set.Bind(1, key).Bind(2, value).Step();
        }
        finally
        {
            set.Reset();
        }
    }

    /// <summary>Stores <paramref name="values"/> as a BLOB of little-endian int32s (the form of seeds and change lists).</summary>
    public void Set(string key, ReadOnlySpan<int> values)
    {
        var length = values.Length * sizeof(int);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        var set = SetStatement();
        try
        {
            var blob = buffer.AsSpan(0, length);
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(blob[(i * sizeof(int))..], values[i]);
            }

            set.Bind(1, key).Bind(2, blob).Step(); // bound as SQLITE_TRANSIENT: SQLite copies, so the buffer can go back
        }
        finally
        {
            set.Reset();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Remove(string key)
    {
        _delete ??= new SqliteStatement(_tables.Db, $"DELETE FROM {_tables.Config} WHERE key = ?1");
        try
        {
            _delete.Bind(1, key).Step();
        }
        finally
        {
            _delete.Reset();
        }
    }

    public void Dispose()
    {
        _set?.Dispose();
        _select?.Dispose();
        _delete?.Dispose();
    }
}
