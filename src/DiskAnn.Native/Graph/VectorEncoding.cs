namespace DiskAnn.Graph;

/// <summary>How a table keeps its vectors (option <c>quantization</c>; stored in the config as <c>vector_encoding</c>).</summary>
internal enum VectorEncoding
{
    /// <summary>float32, as inserted: distances are exact. The default (<c>quantization=none</c>).</summary>
    Float32 = 0,

    /// <summary>One float scale and one signed byte per component: about a quarter of the size, distances approximate.</summary>
    Int8 = 1,
}
