namespace DiskAnn;

/// <summary>How a <c>diskann</c> index stores its vectors (the table option <c>quantization</c>).</summary>
public enum DiskAnnQuantization
{
    /// <summary>float32, as inserted: the index's distances are exact (<c>quantization=none</c>). The default.</summary>
    None,

    /// <summary>
    /// One signed byte per component plus a float scale per vector (<c>quantization=int8</c>): about 0.39x the raw
    /// vectors at 384 dimensions; the index's distances are those of the approximation.
    /// </summary>
    Int8,
}
