namespace DiskAnn;

/// <summary>
/// The limits of a <c>diskann</c> table, defined once: the module checks its options and queries against them, and
/// the EF Core plugin (or any other front end) reads them from here rather than writing the numbers again.
/// </summary>
public static class DiskAnnLimits
{
    /// <summary>The largest <c>dimension</c> a table may declare.</summary>
    public const int MaxDimension = 16000;

    /// <summary>
    /// The largest <c>k</c>, <c>search_list_size</c> and LIMIT + OFFSET of a search: far above any useful value, low
    /// enough to bound the memory of one query.
    /// </summary>
    public const int MaxK = 10000;

    /// <summary>The largest <c>cache_size_mb</c> (1 TiB): far above any machine, small enough that the byte count fits a long.</summary>
    public const int MaxCacheSizeMb = 1 << 20;

    /// <summary>The most filter columns (<c>lang TEXT</c>, ...) a table may declare.</summary>
    public const int MaxFilterColumns = 16;
}
