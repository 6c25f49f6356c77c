using DiskAnn.Graph;

namespace DiskAnn.Storage;

/// <summary>
/// Everything the virtual table asks of its three shadow tables (layout in Storage/FORMAT.md), in one object per
/// table and connection. It forwards each job to the type that does it: <see cref="ShadowSchema"/> (the
/// tables' names and DDL), <see cref="ShadowConfig"/> (settings and search starting points),
/// <see cref="ChunkStore"/> (vector and graph chunks, with records laid out by <see cref="GraphRecordCodec"/>) and
/// <see cref="ChangeLog"/> (what commits changed, for other connections' caches). All writes happen on the
/// connection's own thread inside SQLite's transaction.
/// </summary>
internal sealed class ShadowStorage : IDisposable
{
    /// <inheritdoc cref="ShadowConfig.FormatVersion"/>
    public const int FormatVersion = ShadowConfig.FormatVersion;

    /// <inheritdoc cref="ChangeLog.LoggedGenerations"/>
    public const int LoggedGenerations = ChangeLog.LoggedGenerations;

    /// <inheritdoc cref="ShadowSchema.Suffixes"/>
    public static readonly string[] ShadowSuffixes = ShadowSchema.Suffixes;

    private readonly ShadowConfig _config;
    private readonly ChangeLog _changes;
    private readonly ChunkStore _chunks;
    private readonly FilterRows? _filters;

    public ShadowStorage(nint db, string schema, string table, IReadOnlyList<Filters.FilterColumn> filterColumns)
    {
        var tables = new ShadowSchema(db, schema, table);
        Table = table;
        _config = new ShadowConfig(tables);
        _changes = new ChangeLog(tables, _config);
        _chunks = new ChunkStore(tables, _changes);
        _filters = filterColumns.Count > 0 ? new FilterRows(tables, filterColumns, _changes) : null;
    }

    public string Table { get; }

    public static string Quote(string identifier) => ShadowSchema.Quote(identifier);

    /// <inheritdoc cref="GraphRecordCodec.RecordBytes"/>
    public static int RecordBytes(int capacity) => GraphRecordCodec.RecordBytes(capacity);

    /// <inheritdoc cref="ChunkStore.ChooseChunkSlots"/>
    public static int ChooseChunkSlots(int vectorBytes, bool budgeted = false) => ChunkStore.ChooseChunkSlots(vectorBytes, budgeted);

    /// <summary>Creates the shadow tables of a new diskann table and stores its settings.</summary>
    public static void Create(nint db, string schema, string table, GraphOptions options, int chunkSlots)
    {
        var tables = new ShadowSchema(db, schema, table);
        tables.Create(options.FilterColumns);
        ShadowConfig.Initialize(tables, options, chunkSlots);
    }

    public static void Drop(nint db, string schema, string table) => ShadowSchema.Drop(db, schema, table);

    public static void Rename(nint db, string schema, string oldName, string newName) => ShadowSchema.Rename(db, schema, oldName, newName);

    /// <inheritdoc cref="ChunkStore.Adopt"/>
    public void Adopt(NodeStore nodes) => _chunks.Adopt(nodes);

    /// <inheritdoc cref="ChangeLog.DataVersion"/>
    public long DataVersion() => _changes.DataVersion();

    /// <summary>
    /// Reads the config and every chunk: the nodes as stored, and the stored entry point. With a budget
    /// (<paramref name="cacheBytes"/> > 0) the vectors are left on disk and read back chunk by chunk as searches need them.
    /// </summary>
    public (NodeStore Nodes, int Entry) Load(GraphOptions options, long cacheBytes = 0)
    {
        var (chunkSlots, entry) = _config.Read(options);
        var nodes = _chunks.Load(options, chunkSlots, cacheBytes);
        if (_filters is not null)
        {
            _filters.Read(nodes, 0, int.MaxValue);
            JoinPartitions(nodes, 0, nodes.SlotCount);
        }

        return (nodes, entry);
    }

    /// <summary>The live slots of a range join their partitions (after their values were read).</summary>
    private static void JoinPartitions(NodeStore nodes, int first, int end)
    {
        for (var slot = first; slot < end; slot++)
        {
            if (nodes.State(slot) is NodeState.Linked or NodeState.Pending)
            {
                nodes.Filters!.Join(slot);
            }
        }
    }

    /// <summary>
    /// Brings a loaded store up to date by reading back only the given chunks, those other
    /// connections' commits wrote (<see cref="TryReadChanges"/>), and gives the stored entry point. False when
    /// the stored chunks do not match what the refresh produced: the caller reloads everything.
    /// </summary>
    public bool TryRefresh(GraphOptions options, NodeStore nodes, IReadOnlyCollection<int> chunks, IReadOnlySet<int> vectorChunks, out int entry)
    {
        int chunkSlots;
        (chunkSlots, entry) = _config.Read(options);
        if (_filters is null)
        {
            return _chunks.TryRefresh(nodes, chunkSlots, chunks, vectorChunks);
        }

        // The rows of the chunks read back leave their partitions as they were and join them as they are now.
        var size = nodes.ChunkSlots;
        foreach (var chunk in chunks)
        {
            for (var slot = chunk * size; slot < Math.Min((chunk + 1) * size, nodes.SlotCount); slot++)
            {
                if (nodes.State(slot) is NodeState.Linked or NodeState.Pending)
                {
                    nodes.Filters!.Leave(slot);
                }
            }
        }

        if (!_chunks.TryRefresh(nodes, chunkSlots, chunks, vectorChunks))
        {
            return false;
        }

        foreach (var chunk in chunks)
        {
            _filters.Read(nodes, chunk * size, ((chunk + 1) * size) - 1);
            JoinPartitions(nodes, chunk * size, Math.Min((chunk + 1) * size, nodes.SlotCount));
        }

        return true;
    }

    /// <summary>Stores a slot's filter column values (a table without filter columns has none).</summary>
    public void WriteFilterValues(NodeStore nodes, int slot) => _filters?.Write(nodes, slot);

    /// <summary>The slots with stored filter values, or null for a table without filter columns (the integrity check).</summary>
    public HashSet<int>? FilterSlots() => _filters?.StoredSlots();

    /// <inheritdoc cref="ChunkStore.ReadVectorChunk"/>
    public void ReadVectorChunk(int chunk, Span<byte> destination) => _chunks.ReadVectorChunk(chunk, destination);

    /// <inheritdoc cref="ChunkStore.WriteSlot"/>
    public void WriteSlot(NodeStore nodes, int slot) => _chunks.WriteSlot(nodes, slot);

    /// <inheritdoc cref="ChunkStore.WriteRecord"/>
    public void WriteRecord(NodeStore nodes, int slot) => _chunks.WriteRecord(nodes, slot);

    /// <summary>
    /// Writes the records of the dirty slots (one BLOB write per chunk touched) and the entry point, and the vectors
    /// and filter values of the slots whose rows moved (after which the cache may drop chunks again).
    /// </summary>
    public void WriteDirty(VamanaIndex index)
    {
        if (index.MovedSlots.Count > 0)
        {
            foreach (var slot in index.MovedSlots)
            {
                _chunks.WriteVector(index.Nodes, slot);
                _filters?.Write(index.Nodes, slot);
            }

            index.MovedSlots.Clear();
            index.Nodes.EvictionSuspended = false;
        }

        _chunks.WriteRecords(index.Nodes, index.DirtySlots);
        if (index.HeaderDirty)
        {
            _config.WriteEntry(index.Entry, index.Seeds);
        }

        index.ClearDirty();
    }

    /// <inheritdoc cref="ChunkStore.DropTrailingChunks"/>
    public void DropTrailingChunks(NodeStore nodes)
    {
        _chunks.DropTrailingChunks(nodes);
        _filters?.DeleteFrom(nodes.SlotCount);
    }

    /// <inheritdoc cref="ChangeLog.ReadGeneration"/>
    public long ReadGeneration() => _changes.ReadGeneration();

    /// <inheritdoc cref="ChangeLog.Commit"/>
    public void WriteGeneration(long generation) => _changes.Commit(generation);

    /// <inheritdoc cref="ChangeLog.Forget"/>
    public void ForgetChanges() => _changes.Forget();

    /// <inheritdoc cref="ChangeLog.TryRead"/>
    public bool TryReadChanges(long from, long to, HashSet<int> chunks, HashSet<int> vectorChunks) => _changes.TryRead(from, to, chunks, vectorChunks);

    /// <inheritdoc cref="ShadowConfig.ReadSeeds"/>
    public int[] ReadSeeds(int slotCount) => _config.ReadSeeds(slotCount);

    /// <inheritdoc cref="ChunkStore.CloseBlobs"/>
    public void CloseBlobs() => _chunks.CloseBlobs();

    public void Dispose()
    {
        _chunks.Dispose();
        _filters?.Dispose();
        _changes.Dispose();
        _config.Dispose();
    }
}
