namespace DiskAnn;

/// <summary>The distance a <c>diskann</c> index orders by.</summary>
public enum DiskAnnMetric
{
    /// <summary><c>1 - cos(a, b)</c>: 0 for the same direction, 2 for opposite ones. The default.</summary>
    Cosine,

    /// <summary>Euclidean distance (not squared).</summary>
    L2,

    /// <summary>Negative inner product, so that the largest dot product comes first.</summary>
    Dot,
}
