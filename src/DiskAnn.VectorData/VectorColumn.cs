using Microsoft.Extensions.VectorData.ProviderServices;

namespace DiskAnn.VectorData;

/// <summary>Where a vector property lives: a diskann table (<paramref name="IndexTable"/>, quoted), or for a Flat property a BLOB column of the data table.</summary>
internal sealed record VectorColumn(VectorPropertyModel Property, DiskAnnMetric Metric, bool Flat, string? IndexTable);
