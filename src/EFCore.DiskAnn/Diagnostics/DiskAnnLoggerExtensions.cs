using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore.Diagnostics;

/// <summary>Logs the <c>diskann</c> plugin's events (<see cref="DiskAnnEventId" />) through EF Core's diagnostics.</summary>
public static class DiskAnnLoggerExtensions
{
    // An event definition reads the warning configuration of the options it is made with: one per options.
    private static readonly ConditionalWeakTable<ILoggingOptions, EventDefinition<string>> ExactScanFallbackDefinitions = [];

    /// <summary>
    /// Logs <see cref="DiskAnnEventId.ExactScanFallback" />: a query ordered by vector distance on an indexed column is
    /// answered by an exact scan instead of the index, for <paramref name="reason" />. Throws instead when the context
    /// configures the warning so (<c>ConfigureWarnings(w =&gt; w.Throw(DiskAnnEventId.ExactScanFallback))</c>).
    /// </summary>
    /// <param name="diagnostics">The query logger.</param>
    /// <param name="reason">Why the index cannot answer the query, and what to change.</param>
    public static void ExactScanFallback(this IDiagnosticsLogger<DbLoggerCategory.Query> diagnostics, string reason)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        var definition = ExactScanFallbackDefinitions.GetValue(
            diagnostics.Options,
            static options => new EventDefinition<string>(
                options,
                DiskAnnEventId.ExactScanFallback,
                LogLevel.Warning,
                "DiskAnnEventId.ExactScanFallback",
                level => LoggerMessage.Define<string>(
                    level,
                    DiskAnnEventId.ExactScanFallback,
                    "The diskann index does not answer this query; SQLite computes the distance of every row instead (an exact scan): {reason}")));

        if (diagnostics.ShouldLog(definition))
        {
            definition.Log(diagnostics, reason);
        }

        if (diagnostics.NeedsEventData(definition, out var diagnosticSourceEnabled, out var simpleLogEnabled))
        {
            var eventData = new DiskAnnExactScanFallbackEventData(
                definition,
                static (d, p) => ((EventDefinition<string>)d).GenerateMessage(((DiskAnnExactScanFallbackEventData)p).Reason),
                reason);
            diagnostics.DispatchEventData(definition, eventData, diagnosticSourceEnabled, simpleLogEnabled);
        }
    }
}

/// <summary>The event data of <see cref="DiskAnnEventId.ExactScanFallback" />.</summary>
public class DiskAnnExactScanFallbackEventData : EventData
{
    /// <summary>Creates the event data.</summary>
    /// <param name="eventDefinition">The event definition.</param>
    /// <param name="messageGenerator">Writes the message.</param>
    /// <param name="reason">Why the index does not answer the query.</param>
    public DiskAnnExactScanFallbackEventData(
        EventDefinitionBase eventDefinition,
        Func<EventDefinitionBase, EventData, string> messageGenerator,
        string reason)
        : base(eventDefinition, messageGenerator)
        => Reason = reason;

    /// <summary>Why the index does not answer the query, and what to change.</summary>
    public virtual string Reason { get; }
}
