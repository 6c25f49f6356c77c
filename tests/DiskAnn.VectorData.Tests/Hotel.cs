using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData.Tests;

/// <summary>The record of most tests: filter columns of every type (IsIndexed), a property that is not one (Stars), an array, a full-text property.</summary>
public sealed class Hotel
{
    public const int Dimensions = 8;

    [VectorStoreKey]
    public int Id { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public string? Lang { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public int Rating { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public double Price { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public bool Open { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public long? Code { get; set; }

    /// <summary>Not indexed: conditions on it go through the data table.</summary>
    [VectorStoreData]
    public int? Stars { get; set; }

    [VectorStoreData]
    public string[] Tags { get; set; } = [];

    [VectorStoreData(IsFullTextIndexed = true)]
    public string Description { get; set; } = "";

    [VectorStoreVector(Dimensions, DistanceFunction = DistanceFunction.CosineDistance, IndexKind = IndexKind.DiskAnn)]
    public ReadOnlyMemory<float>? Embedding { get; set; }
}
