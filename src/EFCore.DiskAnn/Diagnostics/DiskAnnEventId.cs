using Microsoft.Extensions.Logging;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore.Diagnostics;

/// <summary>
/// Event ids of the <c>diskann</c> plugin's events, in the style of EF Core's <see cref="CoreEventId" /> and
/// <see cref="RelationalEventId" />: log them with <c>LogTo</c> or a logger factory, and change their behaviour with
/// <c>ConfigureWarnings</c>, for example <c>ConfigureWarnings(w =&gt; w.Throw(DiskAnnEventId.ExactScanFallback))</c> to make
/// every query the index does not answer fail.
/// </summary>
public static class DiskAnnEventId
{
    /// <summary>The first event id of the plugin, above EF Core's provider ranges.</summary>
    public const int DiskAnnBaseId = 395000;

    private const string QueryPrefix = "Microsoft.EntityFrameworkCore.Query.DiskAnn.";

    private enum Id
    {
        ExactScanFallback = DiskAnnBaseId,
    }

    /// <summary>
    /// A query orders by <c>EF.Functions.VectorDistance</c> on a column with a <c>diskann</c> index, but the index cannot
    /// answer it, so SQLite computes the distance of every row (an exact scan): another metric than the index's,
    /// <c>OrderByDescending</c>, no <c>Take</c>, a <c>Distinct</c> or another operator before the ordering, or a
    /// <c>Skip + Take</c> above <see cref="DiskAnn.DiskAnnLimits.MaxK" />. The message gives the reason and the fix.
    /// </summary>
    /// <remarks>
    /// A warning (<see cref="LogLevel.Warning" />) in the <see cref="DbLoggerCategory.Query" /> category, logged when the
    /// query is compiled, or, for a k above the limit that comes from a parameter, each time it runs.
    /// </remarks>
    public static readonly EventId ExactScanFallback = new((int)Id.ExactScanFallback, QueryPrefix + Id.ExactScanFallback);
}
