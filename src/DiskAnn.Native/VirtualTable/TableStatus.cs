namespace DiskAnn.VirtualTable;

/// <summary>
/// What one diskann table holds on one connection, as <c>diskann_status</c> reports it: read from the table's fields
/// without touching SQLite, so any thread may take it (the figures of a connection busy on another thread may be a
/// moment old).
/// </summary>
internal readonly record struct TableStatus(
    nint Connection,
    string Schema,
    string Name,
    string? File,
    bool Loaded,
    long Image,
    bool Shared,
    long Rows,
    long Pending,
    long Tombstones,
    long Slots,
    long MemoryBytes,
    long Generation,
    int CacheSizeMb,
    long VectorBytes);
