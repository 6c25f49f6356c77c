using DiskAnn.Graph;

namespace DiskAnn.VirtualTable;

/// <summary>The rows one xFilter produced: rowids, and distances for a KNN query. SQLite walks them with xNext.</summary>
internal sealed class DiskAnnCursor(DiskAnnTable table)
{
    public DiskAnnTable Table { get; } = table;

    /// <summary>The graph the rows were read from; vectors are taken from it for the vector column.</summary>
    public VamanaIndex? Index { get; set; }

    public long[] RowIds { get; set; } = [];

    public float[]? Distances { get; set; }

    /// <summary>The distances array of the last KNN query, reused by the next (<see cref="Distances"/> is null between).</summary>
    public float[]? DistanceBuffer { get; set; }

    /// <summary>The query vector of the last KNN query, whose array the next one decodes into.</summary>
    public float[]? QueryBuffer { get; set; }

    public int Count { get; set; }

    public int Position { get; set; }

    /// <summary>The k and search_list_size the query ran with, reported by their hidden columns (0: none).</summary>
    public long K { get; set; }

    public long ListSize { get; set; }

    public void Reset()
    {
        Index = null;
        Distances = null;
        Count = 0;
        Position = 0;
        K = 0;
        ListSize = 0;
    }
}
