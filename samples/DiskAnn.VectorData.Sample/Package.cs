using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData.Sample;

/// <summary>A Debian package as a vector store record: the name is a filter column of the index, the description is full-text indexed for hybrid search.</summary>
public sealed class Package
{
    [VectorStoreKey]
    public int Id { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public string Name { get; set; } = "";

    [VectorStoreData(IsFullTextIndexed = true)]
    public string Description { get; set; } = "";

    /// <summary>all-MiniLM-L6-v2 of the description, shipped with the data set (so loading embeds nothing).</summary>
    [VectorStoreVector(MiniLmEmbeddingGenerator.Dimension, DistanceFunction = DistanceFunction.CosineDistance, IndexKind = IndexKind.DiskAnn)]
    public ReadOnlyMemory<float> Embedding { get; set; }
}
