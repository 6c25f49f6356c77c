using System.Buffers.Binary;
using DiskAnn.Graph;

namespace DiskAnn.Storage;

/// <summary>
/// The byte layout of one graph record, the only place that knows its offsets (Storage/FORMAT.md points here).
/// A record is a fixed-size slot in a <c>&lt;name&gt;_graph</c> chunk, so that one node's edges can be rewritten
/// in place with incremental BLOB I/O:
/// <code>
/// offset 0   int64   rowid (0 when the slot is free)
/// offset 8   byte    state (<see cref="NodeState"/>)
/// offset 9   byte    reserved, 0
/// offset 10  uint16  degree d, at most the capacity
/// offset 12  int32[] d out-neighbour slots, then unused room (zeros) up to the capacity
/// </code>
/// All integers are little-endian. Reading does not validate: the loader checks state, degree and edges
/// against the store it fills, and names the slot when they are wrong.
/// </summary>
internal static class GraphRecordCodec
{
    private const int HeaderBytes = 12;
    private const int RowIdOffset = 0;
    private const int StateOffset = 8;
    private const int DegreeOffset = 10;
    private const int EdgeBytes = sizeof(int);

    /// <summary>A record's size: the header and room for <paramref name="capacity"/> edges (R plus slack).</summary>
    public static int RecordBytes(int capacity) => HeaderBytes + (EdgeBytes * capacity);

    /// <summary>
    /// Encodes one record into <paramref name="record"/> (exactly <see cref="RecordBytes"/> long), zeroing the
    /// reserved byte and the unused edge room so that a record's bytes depend only on the node.
    /// </summary>
    public static void Write(Span<byte> record, long rowId, NodeState state, ReadOnlySpan<int> edges)
    {
        record.Clear();
        BinaryPrimitives.WriteInt64LittleEndian(record[RowIdOffset..], rowId);
        record[StateOffset] = (byte)state;
        BinaryPrimitives.WriteUInt16LittleEndian(record[DegreeOffset..], (ushort)edges.Length);
        for (var j = 0; j < edges.Length; j++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(record[EdgeOffset(j)..], edges[j]);
        }
    }

    public static long RowId(ReadOnlySpan<byte> record) => BinaryPrimitives.ReadInt64LittleEndian(record[RowIdOffset..]);

    /// <summary>The stored state byte, as is: a damaged record may hold a value outside <see cref="NodeState"/>.</summary>
    public static NodeState State(ReadOnlySpan<byte> record) => (NodeState)record[StateOffset];

    public static int Degree(ReadOnlySpan<byte> record) => BinaryPrimitives.ReadUInt16LittleEndian(record[DegreeOffset..]);

    /// <summary>The <paramref name="index"/>-th out-neighbour slot; the caller keeps index below the capacity.</summary>
    public static int Edge(ReadOnlySpan<byte> record, int index) => BinaryPrimitives.ReadInt32LittleEndian(record[EdgeOffset(index)..]);

    private static int EdgeOffset(int index) => HeaderBytes + (EdgeBytes * index);
}
