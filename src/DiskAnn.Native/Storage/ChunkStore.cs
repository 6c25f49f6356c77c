using System.Buffers;
using DiskAnn.Graph;
using DiskAnn.Sqlite;

namespace DiskAnn.Storage;

/// <summary>
/// The chunk rows of <c>&lt;name&gt;_vectors</c> and <c>&lt;name&gt;_graph</c>: row c holds slots
/// <c>c * chunk_slots</c> onwards. Loads every chunk into a <see cref="NodeStore"/>, reads back the chunks other
/// connections changed, and writes single vectors and records in place through incremental BLOB handles (a chunk
/// row is created whole, zero-filled, so a write never grows a BLOB). Every chunk it writes is told to the
/// <see cref="ChangeLog"/>. All writes happen on the connection's own thread inside SQLite's transaction.
/// </summary>
internal sealed class ChunkStore : IDisposable
{
    private readonly ShadowSchema _tables;
    private readonly ChangeLog _changes;
    private readonly SqliteBlob _vectorBlob;
    private readonly SqliteBlob _graphBlob;
    private SqliteStatement? _insertVectorChunk;
    private SqliteStatement? _insertGraphChunk;
    private SqliteStatement? _selectVectorChunk;
    private SqliteStatement? _selectGraphChunk;

    // How many chunk rows each of the two tables holds (they always hold the same number).
    private int _storedChunks;

    public ChunkStore(ShadowSchema tables, ChangeLog changes)
    {
        _tables = tables;
        _changes = changes;
        _vectorBlob = new SqliteBlob(tables.Db, tables.Schema, tables.BareName(ShadowSchema.VectorsSuffix), "data");
        _graphBlob = new SqliteBlob(tables.Db, tables.Schema, tables.BareName(ShadowSchema.GraphSuffix), "data");
    }

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

    /// <summary>
    /// Reads every chunk into a new store. With a budget (<paramref name="cacheBytes"/> > 0) the vectors are left
    /// on disk and read back chunk by chunk as searches need them.
    /// </summary>
    public NodeStore Load(GraphOptions options, int chunkSlots, long cacheBytes)
    {
        var nodes = new NodeStore(options, chunkSlots);
        var vectorBytes = chunkSlots * nodes.StoredVectorBytes;
        var recordBytes = GraphRecordCodec.RecordBytes(nodes.Capacity);
        var lazy = cacheBytes > 0;
        _storedChunks = 0;

        // A budgeted float32 load reads each vector once, to derive the navigation codes, and keeps none; a
        // budgeted int8 load reads none (length(data) of a BLOB does not read its overflow pages).
        var lengthOnly = lazy && options.Quantization == DiskAnnQuantization.Int8;
        using (var select = new SqliteStatement(_tables.Db, lengthOnly ? $"SELECT id, length(data) FROM {_tables.Vectors} ORDER BY id" : $"SELECT id, data FROM {_tables.Vectors} ORDER BY id"))
        {
            while (select.Step())
            {
                var chunk = (int)select.Int64(0);
                var length = lengthOnly ? select.Int64(1) : select.Blob(1).Length;
                if (chunk != _storedChunks || length != vectorBytes)
                {
                    throw WrongChunk("vector", chunk, length, vectorBytes);
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
            nodes.UseBudget(cacheBytes);
        }

        var neighbors = new int[nodes.Capacity];
        var graphChunks = 0;
        using (var select = new SqliteStatement(_tables.Db, $"SELECT id, data FROM {_tables.Graph} ORDER BY id"))
        {
            while (select.Step())
            {
                var chunk = (int)select.Int64(0);
                var data = select.Blob(1);
                if (chunk != graphChunks || data.Length != chunkSlots * recordBytes)
                {
                    throw WrongChunk("graph", graphChunks, data.Length, chunkSlots * recordBytes);
                }

                if (chunk >= _storedChunks)
                {
                    throw _tables.Corrupt($"graph chunk {chunk} has no vector chunk ({_storedChunks} vector chunks are stored)");
                }

                LoadGraphChunk(nodes, chunk, data, neighbors);
                graphChunks++;
            }
        }

        if (graphChunks != _storedChunks)
        {
            throw _tables.Corrupt($"{_storedChunks} vector chunks but {graphChunks} graph chunks");
        }

        return nodes;
    }

    /// <summary>Sets every slot's record of one graph chunk from its stored BLOB, refusing records that cannot be right.</summary>
    private void LoadGraphChunk(NodeStore nodes, int chunk, ReadOnlySpan<byte> data, int[] neighbors)
    {
        var chunkSlots = nodes.ChunkSlots;
        var recordBytes = GraphRecordCodec.RecordBytes(nodes.Capacity);
        for (var i = 0; i < chunkSlots; i++)
        {
            var slot = (chunk * chunkSlots) + i;
            var record = data.Slice(i * recordBytes, recordBytes);
            var state = GraphRecordCodec.State(record);
            var degree = GraphRecordCodec.Degree(record);
            if (state > NodeState.Deleted || degree > nodes.Capacity)
            {
                throw _tables.Corrupt($"slot {slot} has state {(int)state} and degree {degree}");
            }

            for (var j = 0; j < degree; j++)
            {
                var neighbor = GraphRecordCodec.Edge(record, j);
                if (neighbor < 0 || neighbor >= nodes.SlotCount || neighbor == slot)
                {
                    throw _tables.Corrupt($"slot {slot} (rowid {GraphRecordCodec.RowId(record)}) has an edge to slot {neighbor}, {(neighbor == slot ? "itself" : $"outside the index's {nodes.SlotCount} slots")}: its graph records are damaged; drop the table and create it again from your own rows");
                }

                neighbors[j] = neighbor;
            }

            nodes.SetHeader(slot, GraphRecordCodec.RowId(record), state);
            nodes.SetNeighbors(slot, neighbors.AsSpan(0, degree));
        }
    }

    /// <summary>
    /// Brings a loaded store up to date by reading back only the given chunks, those other
    /// connections' commits wrote (<see cref="ChangeLog.TryRead"/>). False when the stored chunks do not match
    /// what the refresh produced: the caller reloads everything.
    /// </summary>
    public bool TryRefresh(NodeStore nodes, int chunkSlots, IReadOnlyCollection<int> chunks, IReadOnlySet<int> vectorChunks)
    {
        if (chunkSlots != nodes.ChunkSlots)
        {
            return false;
        }

        var vectorBytes = chunkSlots * nodes.StoredVectorBytes;
        var recordBytes = GraphRecordCodec.RecordBytes(nodes.Capacity);
        var neighbors = new int[nodes.Capacity];
        nodes.InvalidateLevels(); // records are replaced below: levels are recomputed when next needed
        _selectVectorChunk ??= SelectChunkStatement(_tables.Vectors);
        _selectGraphChunk ??= SelectChunkStatement(_tables.Graph);

        // Every new chunk first: a record read early may point at a slot of a chunk read later.
        if (chunks.Count > 0)
        {
            nodes.EnsureSlots((chunks.Max() + 1) * chunkSlots);
        }

        foreach (var chunk in chunks.Order())
        {
            try
            {
                // Vectors only where the commit wrote vectors (new rows): most chunks only gained or lost edges.
                if (vectorChunks.Contains(chunk))
                {
                    nodes.LoadVectorChunk(chunk, ReadChunk(_selectVectorChunk, "vector", chunk, vectorBytes));
                }

                LoadGraphChunk(nodes, chunk, ReadChunk(_selectGraphChunk, "graph", chunk, chunkSlots * recordBytes), neighbors);
            }
            finally
            {
                _selectVectorChunk.Reset();
                _selectGraphChunk.Reset();
            }
        }

        using var count = new SqliteStatement(_tables.Db, $"SELECT count(*) FROM {_tables.Vectors}");
        count.Step();
        if (count.Int64(0) != nodes.ChunkCount)
        {
            return false;
        }

        _storedChunks = nodes.ChunkCount;
        return true;
    }

    /// <summary>A chunk's stored vectors, for a budgeted store that dropped them from memory (see <see cref="IChunkReader"/>).</summary>
    public void ReadVectorChunk(int chunk, Span<byte> destination)
    {
        _selectVectorChunk ??= SelectChunkStatement(_tables.Vectors);
        try
        {
            ReadChunk(_selectVectorChunk, "vector", chunk, destination.Length).CopyTo(destination);
        }
        finally
        {
            _selectVectorChunk.Reset();
        }
    }

    private SqliteStatement SelectChunkStatement(string table) => new(_tables.Db, $"SELECT data FROM {table} WHERE id = ?1");

    /// <summary>
    /// Steps <paramref name="select"/> (a <see cref="SelectChunkStatement"/>) to one chunk's BLOB and checks its
    /// size. The span lives until the caller resets the statement.
    /// </summary>
    private ReadOnlySpan<byte> ReadChunk(SqliteStatement select, string kind, int chunk, int expectedBytes)
    {
        select.Bind(1, chunk);
        var data = select.Step() ? select.Blob(0) : [];
        if (data.Length != expectedBytes)
        {
            throw WrongChunk(kind, chunk, data.Length, expectedBytes);
        }

        return data;
    }

    private SqliteCallException WrongChunk(string kind, long chunk, long length, long expectedBytes)
        => _tables.Corrupt($"{kind} chunk {chunk} is missing or has {length} bytes instead of {expectedBytes}");

    /// <summary>Writes a slot's vector and record at once (a row just inserted).</summary>
    public void WriteSlot(NodeStore nodes, int slot)
    {
        WriteVector(nodes, slot);
        WriteRecordRange(nodes, slot, slot);
    }

    /// <summary>Writes a slot's vector (a row moved into it).</summary>
    public void WriteVector(NodeStore nodes, int slot)
    {
        EnsureChunks(nodes);
        var chunk = slot / nodes.ChunkSlots;
        var within = slot % nodes.ChunkSlots;
        var length = nodes.StoredVectorBytes;
        _changes.VectorsWritten(chunk);
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
    }

    /// <summary>Writes one slot's record (its state changed).</summary>
    public void WriteRecord(NodeStore nodes, int slot)
    {
        EnsureChunks(nodes);
        WriteRecordRange(nodes, slot, slot);
    }

    /// <summary>Writes the records of the given slots (sorted in place), one BLOB write per chunk touched.</summary>
    public void WriteRecords(NodeStore nodes, List<int> slots)
    {
        EnsureChunks(nodes);
        if (slots.Count == 0)
        {
            return;
        }

        slots.Sort();
        var i = 0;
        while (i < slots.Count)
        {
            var chunk = slots[i] / nodes.ChunkSlots;
            var j = i;
            while (j + 1 < slots.Count && slots[j + 1] / nodes.ChunkSlots == chunk)
            {
                j++;
            }

            WriteRecordRange(nodes, slots[i], slots[j]);
            i = j + 1;
        }
    }

    /// <summary>Writes the records of slots first..last, which lie in one chunk, in one BLOB write.</summary>
    private void WriteRecordRange(NodeStore nodes, int first, int last)
    {
        var recordBytes = GraphRecordCodec.RecordBytes(nodes.Capacity);
        var length = (last - first + 1) * recordBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = buffer.AsSpan(0, length);
            for (var slot = first; slot <= last; slot++)
            {
                GraphRecordCodec.Write(span.Slice((slot - first) * recordBytes, recordBytes), nodes.RowId(slot), nodes.State(slot), nodes.Neighbors(slot));
            }

            _graphBlob.Write(first / nodes.ChunkSlots, span, (first % nodes.ChunkSlots) * recordBytes);
            _changes.RecordsWritten(first / nodes.ChunkSlots);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Takes the chunk count of an image loaded by another connection of the process (a committed image has exactly as
    /// many chunks as the file at its generation), instead of a load of its own.
    /// </summary>
    public void Adopt(NodeStore nodes) => _storedChunks = nodes.ChunkCount;

    /// <summary>Deletes the chunk rows past the chunks memory holds (after a compaction).</summary>
    public void DropTrailingChunks(NodeStore nodes)
    {
        if (_storedChunks <= nodes.ChunkCount)
        {
            return;
        }

        CloseBlobs();
        foreach (var table in new[] { _tables.Vectors, _tables.Graph })
        {
            using var delete = new SqliteStatement(_tables.Db, $"DELETE FROM {table} WHERE id >= ?1");
            delete.Bind(1, nodes.ChunkCount).Step();
        }

        _storedChunks = nodes.ChunkCount;
        _changes.ChunksDropped();
    }

    /// <summary>Adds zero-filled chunk rows for chunks that exist in memory but not yet on disk.</summary>
    private void EnsureChunks(NodeStore nodes)
    {
        while (_storedChunks < nodes.ChunkCount)
        {
            _insertVectorChunk ??= new SqliteStatement(_tables.Db, $"INSERT INTO {_tables.Vectors}(id, data) VALUES (?1, zeroblob(?2))");
            _insertGraphChunk ??= new SqliteStatement(_tables.Db, $"INSERT INTO {_tables.Graph}(id, data) VALUES (?1, zeroblob(?2))");
            _insertVectorChunk.Bind(1, _storedChunks).Bind(2, (long)nodes.ChunkSlots * nodes.StoredVectorBytes);
            _changes.VectorsWritten(_storedChunks);
            _insertGraphChunk.Bind(1, _storedChunks).Bind(2, (long)nodes.ChunkSlots * GraphRecordCodec.RecordBytes(nodes.Capacity));
            try
            {
                _insertVectorChunk.Step();
                _insertGraphChunk.Step();
            }
            finally
            {
                _insertVectorChunk.Reset();
                _insertGraphChunk.Reset();
            }

            _storedChunks++;
        }
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
        _insertVectorChunk?.Dispose();
        _insertGraphChunk?.Dispose();
        _selectVectorChunk?.Dispose();
        _selectGraphChunk?.Dispose();
    }
}
