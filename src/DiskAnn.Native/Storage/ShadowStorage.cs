using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using DiskAnn.Graph;
using DiskAnn.Sqlite;

namespace DiskAnn.Storage;

/// <summary>
/// Reads and writes the three shadow tables of one diskann table (layout in Storage/FORMAT.md):
/// <c>&lt;name&gt;_config</c> (key/value), <c>&lt;name&gt;_vectors</c> and <c>&lt;name&gt;_graph</c> (one
/// BLOB per chunk of slots). All writes happen on the connection's own thread inside SQLite's transaction.
/// </summary>
internal sealed class ShadowStorage : IDisposable
{
    /// <summary>
    /// The storage format this build writes. Version 2 added the <c>vector_encoding</c> key (int8 vectors);
    /// version 1 files, which have none, are float32 and still read. Other versions are refused on open.
    /// </summary>
    public const int FormatVersion = 2;

    private const int OldestReadableVersion = 1;

    public static readonly string[] ShadowSuffixes = ["config", "vectors", "graph"];

    private const int RecordHeaderBytes = 12;

    private readonly nint _db;
    private readonly string _schema;
    private readonly SqliteBlob _vectorBlob;
    private readonly SqliteBlob _graphBlob;
    private readonly SqliteStatement _dataVersion;
    private SqliteStatement? _insertChunk;
    private SqliteStatement? _insertGraphChunk;
    private SqliteStatement? _setConfig;
    private SqliteStatement? _selectChunk;
    private SqliteStatement? _selectGeneration;
    private SqliteStatement? _pruneChanges;

    // What this connection's open transaction wrote, for the change log other connections refresh from.
    private readonly HashSet<int> _writtenChunks = [];
    private readonly HashSet<int> _writtenVectorChunks = [];
    private bool _chunksDropped;
    private int _storedChunks;

    public ShadowStorage(nint db, string schema, string table)
    {
        _db = db;
        _schema = schema;
        Table = table;
        _vectorBlob = new SqliteBlob(db, schema, table + "_vectors", "data");
        _graphBlob = new SqliteBlob(db, schema, table + "_graph", "data");
        _dataVersion = new SqliteStatement(db, $"PRAGMA {Quote(schema)}.data_version");
    }

    public string Table { get; }

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    private string Name(string suffix) => $"{Quote(_schema)}.{Quote(Table + "_" + suffix)}";

    /// <summary>A graph record: the header and room for <paramref name="capacity"/> edges (R plus slack).</summary>
    public static int RecordBytes(int capacity) => RecordHeaderBytes + (4 * capacity);

    /// <summary>
    /// Chunk size in slots: a power of two near 256 KiB of vectors per BLOB, so a chunk spans whole overflow
    /// pages (little slack) and one write per chunk serves a bulk load. A table declared with a cache budget
    /// gets chunks of about 32 KiB instead: a search that needs a vector the budget dropped reads its whole
    /// chunk back, and a small chunk keeps that read (and what it evicts) small.
    /// </summary>
    public static int ChooseChunkSlots(int vectorBytes, bool budgeted = false)
    {
        var target = budgeted ? 32 * 1024 : 256 * 1024;
        var slots = 1;
        while (slots < 256 && (slots * 2L * vectorBytes) <= target)
        {
            slots *= 2;
        }

        return slots;
    }

    public static void Create(nint db, string schema, string table, GraphOptions options, int chunkSlots)
    {
        var s = Quote(schema);
        SqliteStatement.Execute(db, $"CREATE TABLE {s}.{Quote(table + "_config")}(key TEXT PRIMARY KEY, value) WITHOUT ROWID");
        SqliteStatement.Execute(db, $"CREATE TABLE {s}.{Quote(table + "_vectors")}(id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
        SqliteStatement.Execute(db, $"CREATE TABLE {s}.{Quote(table + "_graph")}(id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
        using var insert = new SqliteStatement(db, $"INSERT INTO {s}.{Quote(table + "_config")}(key, value) VALUES (?1, ?2)");
        void Put(string key, long value)
        {
            insert.Bind(1, key).Bind(2, value).Step();
            insert.Reset();
        }

        Put("format_version", FormatVersion);
        Put("dimension", options.Dimension);
        Put("max_degree", options.MaxDegree);
        Put("chunk_slots", chunkSlots);
        Put("metric", (long)options.Metric);
        Put("vector_encoding", (long)options.Quantization);
        Put("entry", -1);
    }

    public static void Drop(nint db, string schema, string table)
    {
        foreach (var suffix in ShadowSuffixes)
        {
            SqliteStatement.Execute(db, $"DROP TABLE IF EXISTS {Quote(schema)}.{Quote(table + "_" + suffix)}");
        }
    }

    public static void Rename(nint db, string schema, string oldName, string newName)
    {
        foreach (var suffix in ShadowSuffixes)
        {
            SqliteStatement.Execute(db, $"ALTER TABLE {Quote(schema)}.{Quote(oldName + "_" + suffix)} RENAME TO {Quote(newName + "_" + suffix)}");
        }
    }

    /// <summary>PRAGMA data_version: changes when another connection commits to this database.</summary>
    public long DataVersion()
    {
        try
        {
            _dataVersion.Step();
            return _dataVersion.Int64(0);
        }
        finally
        {
            _dataVersion.Reset();
        }
    }

    /// <summary>The stored settings that must match the table's declaration; throws on a format or shape mismatch.</summary>
    private (int ChunkSlots, int Entry) ReadConfig(GraphOptions options)
    {
        var config = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var select = new SqliteStatement(_db, $"SELECT key, value FROM {Name("config")}"))
        {
            while (select.Step())
            {
                config[select.Text(0) ?? ""] = select.Int64(1);
            }
        }

        if (!config.TryGetValue("format_version", out var version))
        {
            throw new SqliteCallException(SqliteConstants.CORRUPT_VTAB, $"diskann table \"{Table}\": its config shadow table has no format_version");
        }

        if (version < OldestReadableVersion || version > FormatVersion)
        {
            throw new SqliteCallException(SqliteConstants.ERROR,
                $"diskann table \"{Table}\" uses storage format version {version}, but this build of DiskAnn reads versions {OldestReadableVersion} to {FormatVersion}; rebuild the index with a matching version");
        }

        var encoding = (DiskAnnQuantization)config.GetValueOrDefault("vector_encoding", (long)DiskAnnQuantization.None);
        if (encoding != options.Quantization)
        {
            throw new SqliteCallException(SqliteConstants.CORRUPT_VTAB,
                $"diskann table \"{Table}\": its vectors are stored as {Name(encoding)} but its declaration says quantization={(options.Quantization == DiskAnnQuantization.Int8 ? "int8" : "none")}");
        }

        if (config.GetValueOrDefault("dimension") != options.Dimension || config.GetValueOrDefault("max_degree") != options.MaxDegree)
        {
            throw new SqliteCallException(SqliteConstants.CORRUPT_VTAB,
                $"diskann table \"{Table}\": stored dimension/max_degree ({config.GetValueOrDefault("dimension")}/{config.GetValueOrDefault("max_degree")}) differ from its declaration ({options.Dimension}/{options.MaxDegree})");
        }

        return ((int)config.GetValueOrDefault("chunk_slots", 1), (int)config.GetValueOrDefault("entry", -1));
    }

    /// <summary>
    /// Reads the config and every chunk: the nodes as stored, and the stored entry point. With a budget
    /// (<paramref name="cacheBytes"/> > 0) the vectors are left on disk and read back chunk by chunk as searches need them.
    /// </summary>
    public (NodeStore Nodes, int Entry) Load(GraphOptions options, long cacheBytes = 0)
    {
        var (chunkSlots, entry) = ReadConfig(options);
        var nodes = new NodeStore(options, chunkSlots);
        var vectorBytes = chunkSlots * nodes.StoredVectorBytes;
        var recordBytes = RecordBytes(nodes.Capacity);
        var lazy = cacheBytes > 0;
        _storedChunks = 0;

        // A budgeted float32 load reads each vector once, to derive the navigation codes, and keeps none; a
        // budgeted int8 load reads none (length(data) of a BLOB does not read its overflow pages).
        var lengthOnly = lazy && options.Quantization == DiskAnnQuantization.Int8;
        using (var select = new SqliteStatement(_db, lengthOnly ? $"SELECT id, length(data) FROM {Name("vectors")} ORDER BY id" : $"SELECT id, data FROM {Name("vectors")} ORDER BY id"))
        {
            while (select.Step())
            {
                var chunk = (int)select.Int64(0);
                var length = lengthOnly ? select.Int64(1) : select.Blob(1).Length;
                if (chunk != _storedChunks || length != vectorBytes)
                {
                    throw Corrupt($"vector chunk {chunk} is missing or has {length} bytes instead of {vectorBytes}");
                }

                nodes.EnsureSlots((chunk + 1) * chunkSlots, resident: !lazy);
                if (!lazy)
                {
                    nodes.LoadVectorChunk(chunk, select.Blob(1));
                }
                else if (!lengthOnly)
                {
                    nodes.LoadCodesOnly(chunk, select.Blob(1));
                }

                _storedChunks++;
            }
        }

        if (lazy)
        {
            nodes.UseBudget(cacheBytes, ReadVectorChunk);
        }

        var neighbors = new int[nodes.Capacity];
        var graphChunks = 0;
        using (var select = new SqliteStatement(_db, $"SELECT id, data FROM {Name("graph")} ORDER BY id"))
        {
            while (select.Step())
            {
                var chunk = (int)select.Int64(0);
                var data = select.Blob(1);
                if (chunk != graphChunks || data.Length != chunkSlots * recordBytes)
                {
                    throw Corrupt($"graph chunk {graphChunks} is missing or has {data.Length} bytes instead of {chunkSlots * recordBytes}");
                }

                if (chunk >= _storedChunks)
                {
                    throw Corrupt($"graph chunk {chunk} has no vector chunk ({_storedChunks} vector chunks are stored)");
                }

                LoadGraphChunk(nodes, chunk, data, neighbors);
                graphChunks++;
            }
        }

        if (graphChunks != _storedChunks)
        {
            throw Corrupt($"{_storedChunks} vector chunks but {graphChunks} graph chunks");
        }

        return (nodes, entry);
    }

    /// <summary>Sets every slot's record of one graph chunk from its stored BLOB.</summary>
    private void LoadGraphChunk(NodeStore nodes, int chunk, ReadOnlySpan<byte> data, int[] neighbors)
    {
        var chunkSlots = nodes.ChunkSlots;
        var recordBytes = RecordBytes(nodes.Capacity);
        for (var i = 0; i < chunkSlots; i++)
        {
            var slot = (chunk * chunkSlots) + i;
            var record = data.Slice(i * recordBytes, recordBytes);
            var state = (NodeState)record[8];
            int degree = BinaryPrimitives.ReadUInt16LittleEndian(record[10..]);
            if (state > NodeState.Deleted || degree > nodes.Capacity)
            {
                throw Corrupt($"slot {slot} has state {(int)state} and degree {degree}");
            }

            for (var j = 0; j < degree; j++)
            {
                var neighbor = BinaryPrimitives.ReadInt32LittleEndian(record[(RecordHeaderBytes + (4 * j))..]);
                if (neighbor < 0 || neighbor >= nodes.SlotCount || neighbor == slot)
                {
                    throw Corrupt($"slot {slot} (rowid {BinaryPrimitives.ReadInt64LittleEndian(record)}) has an edge to slot {neighbor}, {(neighbor == slot ? "itself" : $"outside the index's {nodes.SlotCount} slots")}: its graph records are damaged; drop the table and create it again from your own rows");
                }

                neighbors[j] = neighbor;
            }

            nodes.SetHeader(slot, BinaryPrimitives.ReadInt64LittleEndian(record), state);
            nodes.SetNeighbors(slot, neighbors.AsSpan(0, degree));
        }
    }

    /// <summary>
    /// Brings a loaded (unbudgeted) store up to date by reading back only the given chunks, those other
    /// connections' commits wrote (<see cref="TryReadChanges"/>), and gives the stored entry point. False when
    /// the stored chunks do not match what the refresh produced: the caller reloads everything.
    /// </summary>
    public bool TryRefresh(GraphOptions options, NodeStore nodes, IReadOnlyCollection<int> chunks, IReadOnlySet<int> vectorChunks, out int entry)
    {
        int chunkSlots;
        (chunkSlots, entry) = ReadConfig(options);
        if (chunkSlots != nodes.ChunkSlots || nodes.Paged)
        {
            return false;
        }

        var vectorBytes = chunkSlots * nodes.StoredVectorBytes;
        var recordBytes = RecordBytes(nodes.Capacity);
        var neighbors = new int[nodes.Capacity];
        nodes.InvalidateLevels(); // records are replaced below: levels are recomputed when next needed
        using var vectors = new SqliteStatement(_db, $"SELECT data FROM {Name("vectors")} WHERE id = ?1");
        using var graph = new SqliteStatement(_db, $"SELECT data FROM {Name("graph")} WHERE id = ?1");

        // Every new chunk first: a record read early may point at a slot of a chunk read later.
        if (chunks.Count > 0)
        {
            nodes.EnsureSlots((chunks.Max() + 1) * chunkSlots);
        }

        foreach (var chunk in chunks.Order())
        {
            // Vectors only where the commit wrote vectors (new rows): most chunks only gained or lost edges.
            if (vectorChunks.Contains(chunk))
            {
                vectors.Bind(1, chunk);
                var vectorData = vectors.Step() ? vectors.Blob(0) : [];
                if (vectorData.Length != vectorBytes)
                {
                    throw Corrupt($"vector chunk {chunk} is missing or has {vectorData.Length} bytes instead of {vectorBytes}");
                }

                nodes.LoadVectorChunk(chunk, vectorData);
            }

            graph.Bind(1, chunk);
            var graphData = graph.Step() ? graph.Blob(0) : [];
            if (graphData.Length != chunkSlots * recordBytes)
            {
                throw Corrupt($"graph chunk {chunk} is missing or has {graphData.Length} bytes instead of {chunkSlots * recordBytes}");
            }

            LoadGraphChunk(nodes, chunk, graphData, neighbors);
            vectors.Reset();
            graph.Reset();
        }

        using var count = new SqliteStatement(_db, $"SELECT count(*) FROM {Name("vectors")}");
        count.Step();
        if (count.Int64(0) != nodes.ChunkCount)
        {
            return false;
        }

        _storedChunks = nodes.ChunkCount;
        return true;
    }

    private static string Name(DiskAnnQuantization encoding) => encoding switch
    {
        DiskAnnQuantization.None => "float32",
        DiskAnnQuantization.Int8 => "int8",
        _ => $"unknown encoding {(int)encoding}",
    };

    /// <summary>A chunk's stored vectors, for a budgeted store that dropped them from memory.</summary>
    private void ReadVectorChunk(int chunk, Span<byte> destination)
    {
        _selectChunk ??= new SqliteStatement(_db, $"SELECT data FROM {Name("vectors")} WHERE id = ?1");
        try
        {
            _selectChunk.Bind(1, chunk);
            var data = _selectChunk.Step() ? _selectChunk.Blob(0) : [];
            if (data.Length != destination.Length)
            {
                throw Corrupt($"vector chunk {chunk} is missing or has {data.Length} bytes instead of {destination.Length}");
            }

            data.CopyTo(destination);
        }
        finally
        {
            _selectChunk.Reset();
        }
    }

    private SqliteCallException Corrupt(string what)
        => new(SqliteConstants.CORRUPT_VTAB, $"diskann table \"{Table}\" is corrupt: {what}");

    /// <summary>Writes a slot's vector and record at once (a row just inserted).</summary>
    public void WriteSlot(NodeStore nodes, int slot)
    {
        EnsureChunks(nodes);
        var chunk = slot / nodes.ChunkSlots;
        var within = slot % nodes.ChunkSlots;
        var length = nodes.StoredVectorBytes;
        _writtenChunks.Add(chunk);
        _writtenVectorChunks.Add(chunk);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            nodes.WriteStoredVector(slot, buffer.AsSpan(0, length));
            _vectorBlob.Write(chunk, buffer.AsSpan(0, length), within * length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        WriteRecords(nodes, slot, slot);
    }

    /// <summary>Writes one slot's record (its state changed).</summary>
    public void WriteRecord(NodeStore nodes, int slot)
    {
        EnsureChunks(nodes);
        WriteRecords(nodes, slot, slot);
    }

    /// <summary>Writes the records of the dirty slots (one BLOB write per chunk touched) and the entry point.</summary>
    public void WriteDirty(VamanaIndex index)
    {
        var nodes = index.Nodes;
        EnsureChunks(nodes);
        var dirty = index.DirtySlots;
        if (dirty.Count > 0)
        {
            dirty.Sort();
            var i = 0;
            while (i < dirty.Count)
            {
                var chunk = dirty[i] / nodes.ChunkSlots;
                var j = i;
                while (j + 1 < dirty.Count && dirty[j + 1] / nodes.ChunkSlots == chunk)
                {
                    j++;
                }

                WriteRecords(nodes, dirty[i], dirty[j]);
                i = j + 1;
            }
        }

        if (index.HeaderDirty)
        {
            SetConfig("entry", index.Entry);
            var seeds = new byte[index.Seeds.Length * sizeof(int)];
            for (var i = 0; i < index.Seeds.Length; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(seeds.AsSpan(i * 4), index.Seeds[i]);
            }

            SetConfig("seeds", seeds);
        }

        index.ClearDirty();
    }

    /// <summary>Writes the records of slots first..last, which lie in one chunk, in one BLOB write.</summary>
    private void WriteRecords(NodeStore nodes, int first, int last)
    {
        var recordBytes = RecordBytes(nodes.Capacity);
        var length = (last - first + 1) * recordBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = buffer.AsSpan(0, length);
            span.Clear();
            for (var slot = first; slot <= last; slot++)
            {
                var record = span.Slice((slot - first) * recordBytes, recordBytes);
                BinaryPrimitives.WriteInt64LittleEndian(record, nodes.RowId(slot));
                record[8] = (byte)nodes.State(slot);
                var neighbors = nodes.Neighbors(slot);
                BinaryPrimitives.WriteUInt16LittleEndian(record[10..], (ushort)neighbors.Length);
                for (var j = 0; j < neighbors.Length; j++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(record[(RecordHeaderBytes + (4 * j))..], neighbors[j]);
                }
            }

            _graphBlob.Write(first / nodes.ChunkSlots, span, (first % nodes.ChunkSlots) * recordBytes);
            _writtenChunks.Add(first / nodes.ChunkSlots);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Deletes the chunk rows past the chunks memory holds (after a compaction).</summary>
    public void DropTrailingChunks(NodeStore nodes)
    {
        if (_storedChunks <= nodes.ChunkCount)
        {
            return;
        }

        CloseBlobs();
        foreach (var suffix in new[] { "vectors", "graph" })
        {
            using var delete = new SqliteStatement(_db, $"DELETE FROM {Name(suffix)} WHERE id >= ?1");
            delete.Bind(1, nodes.ChunkCount).Step();
        }

        _storedChunks = nodes.ChunkCount;
        _chunksDropped = true;
    }

    /// <summary>Adds zero-filled chunk rows for chunks that exist in memory but not yet on disk.</summary>
    private void EnsureChunks(NodeStore nodes)
    {
        while (_storedChunks < nodes.ChunkCount)
        {
            _insertChunk ??= new SqliteStatement(_db, $"INSERT INTO {Name("vectors")}(id, data) VALUES (?1, zeroblob(?2))");
            _insertGraphChunk ??= new SqliteStatement(_db, $"INSERT INTO {Name("graph")}(id, data) VALUES (?1, zeroblob(?2))");
            _insertChunk.Bind(1, _storedChunks).Bind(2, (long)nodes.ChunkSlots * nodes.StoredVectorBytes);
            _writtenChunks.Add(_storedChunks);
            _writtenVectorChunks.Add(_storedChunks);
            _insertGraphChunk.Bind(1, _storedChunks).Bind(2, (long)nodes.ChunkSlots * RecordBytes(nodes.Capacity));
            try
            {
                _insertChunk.Step();
                _insertGraphChunk.Step();
            }
            finally
            {
                _insertChunk.Reset();
                _insertGraphChunk.Reset();
            }

            _storedChunks++;
        }
    }

    private void SetConfig(string key, long value) => SetConfig(key, statement => statement.Bind(2, value));

    private void SetConfig(string key, byte[] value) => SetConfig(key, statement => statement.Bind(2, value));

    private void SetConfig(string key, Action<SqliteStatement> bindValue)
    {
        _setConfig ??= new SqliteStatement(_db, $"INSERT OR REPLACE INTO {Name("config")}(key, value) VALUES (?1, ?2)");
        try
        {
            _setConfig.Bind(1, key);
            bindValue(_setConfig);
            _setConfig.Step();
        }
        finally
        {
            _setConfig.Reset();
        }
    }

    /// <summary>
    /// The index's generation: a counter every transaction that writes the index raises (key <c>generation</c>,
    /// 0 when absent). PRAGMA data_version changes on any commit to the database file, this only when the index
    /// changed, so a connection keeps its cache when another one writes other tables.
    /// </summary>
    public long ReadGeneration()
    {
        _selectGeneration ??= new SqliteStatement(_db, $"SELECT value FROM {Name("config")} WHERE key = 'generation'");
        try
        {
            return _selectGeneration.Step() ? _selectGeneration.Int64(0) : 0;
        }
        finally
        {
            _selectGeneration.Reset();
        }
    }

    /// <summary>
    /// Raises the generation to <paramref name="generation"/> and logs which chunks this transaction wrote under
    /// <c>changes:&lt;generation&gt;</c> (a BLOB of int32 chunk numbers; -1 = reload everything), keeping the
    /// last <see cref="LoggedGenerations"/> entries.
    /// </summary>
    public void WriteGeneration(long generation)
    {
        SetConfig("generation", generation);
        // A chunk c whose records changed is logged as c; one whose vectors changed too as -(c + 2).
        var chunks = _chunksDropped ? [-1] : _writtenChunks.Select(c => _writtenVectorChunks.Contains(c) ? -(c + 2) : c).ToArray();
        var blob = new byte[chunks.Length * sizeof(int)];
        for (var i = 0; i < chunks.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(blob.AsSpan(i * sizeof(int)), chunks[i]);
        }

        SetConfig(ChangesKey(generation), blob);

        // Every commit that writes the index comes here: the statement is prepared once per connection.
        _pruneChanges ??= new SqliteStatement(_db, $"DELETE FROM {Name("config")} WHERE key = ?1");
        try
        {
            _pruneChanges.Bind(1, ChangesKey(generation - LoggedGenerations)).Step();
        }
        finally
        {
            _pruneChanges.Reset();
        }

        ForgetChanges();
    }

    /// <summary>How many commits back a connection can catch up by reading only the chunks they wrote.</summary>
    public const int LoggedGenerations = 64;

    private static string ChangesKey(long generation) => "changes:" + generation.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Called when the transaction ends without logging (rolled back, or nothing to commit).</summary>
    public void ForgetChanges()
    {
        _writtenChunks.Clear();
        _writtenVectorChunks.Clear();
        _chunksDropped = false;
    }

    /// <summary>
    /// The chunks written by the commits after generation <paramref name="from"/> up to <paramref name="to"/>, or
    /// false when the log does not cover them all (too old, or a commit that dropped chunks): reload everything then.
    /// </summary>
    public bool TryReadChanges(long from, long to, HashSet<int> chunks, HashSet<int> vectorChunks)
    {
        if (to <= from || to - from > LoggedGenerations)
        {
            return false;
        }

        using var select = new SqliteStatement(_db, $"SELECT value FROM {Name("config")} WHERE key = ?1");
        for (var generation = from + 1; generation <= to; generation++)
        {
            select.Bind(1, ChangesKey(generation));
            if (!select.Step())
            {
                return false;
            }

            var blob = select.Blob(0);
            for (var i = 0; i + sizeof(int) <= blob.Length; i += sizeof(int))
            {
                var chunk = BinaryPrimitives.ReadInt32LittleEndian(blob[i..]);
                if (chunk == -1)
                {
                    return false;
                }

                if (chunk < 0)
                {
                    chunk = -chunk - 2;
                    vectorChunks.Add(chunk);
                }

                chunks.Add(chunk);
            }

            select.Reset();
        }

        return true;
    }

    /// <summary>The stored search seeds (int32 slots), empty if none are stored.</summary>
    public int[] ReadSeeds(int slotCount)
    {
        using var select = new SqliteStatement(_db, $"SELECT value FROM {Name("config")} WHERE key = 'seeds'");
        if (!select.Step())
        {
            return [];
        }

        var blob = select.Blob(0);
        var seeds = new int[blob.Length / 4];
        for (var i = 0; i < seeds.Length; i++)
        {
            seeds[i] = BinaryPrimitives.ReadInt32LittleEndian(blob[(i * 4)..]);
            if (seeds[i] < 0 || seeds[i] >= slotCount)
            {
                throw Corrupt($"search seed {seeds[i]} is outside the index");
            }
        }

        return seeds;
    }

    /// <summary>Ends incremental BLOB I/O; called at the end of every transaction (an open handle would hold it open).</summary>
    public void CloseBlobs()
    {
        _vectorBlob.Close();
        _graphBlob.Close();
    }

    public void Dispose()
    {
        CloseBlobs();
        _dataVersion.Dispose();
        _insertChunk?.Dispose();
        _insertGraphChunk?.Dispose();
        _setConfig?.Dispose();
        _selectChunk?.Dispose();
        _selectGeneration?.Dispose();
        _pruneChanges?.Dispose();
    }
}
