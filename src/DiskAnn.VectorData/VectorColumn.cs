using Microsoft.Extensions.VectorData.ProviderServices;

namespace DiskAnn.VectorData;

/// <summary>
/// Where a vector property lives: a diskann table (<paramref name="IndexTable"/>, quoted), or for a Flat property a BLOB
/// column of the data table. <paramref name="Position"/> is its place among the collection's vector properties.
/// </summary>
internal sealed record VectorColumn(VectorPropertyModel Property, DiskAnnMetric Metric, bool Flat, string? IndexTable, int Position)
{
    /// <summary>The statement that inserts or replaces a row of the index (null for Flat), made once with the schema.</summary>
    public string? UpsertSql { get; set; }

    /// <summary>The statement that deletes a row of the index (null for Flat).</summary>
    public string? DeleteSql { get; set; }
}
