using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData.Tests;

public sealed class LongRecord
{
    [VectorStoreKey]
    public long Key { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public string Name { get; set; } = "";

    [VectorStoreVector(4)]
    public float[]? Vector { get; set; }
}

public sealed class StringRecord
{
    [VectorStoreKey]
    public string Key { get; set; } = "";

    [VectorStoreData(IsIndexed = true)]
    public string Name { get; set; } = "";

    [VectorStoreVector(4)]
    public Microsoft.Extensions.AI.Embedding<float>? Vector { get; set; }
}

public sealed class GuidRecord
{
    [VectorStoreKey]
    public Guid Key { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public string Name { get; set; } = "";

    [VectorStoreVector(4)]
    public ReadOnlyMemory<float> Vector { get; set; }
}
