using System.Globalization;

namespace DiskAnn;

/// <summary>
/// The options of <c>CREATE VIRTUAL TABLE ... USING diskann(...)</c>, defined once: their SQL spellings, ranges and
/// defaults. The module parses its arguments against them, and the EF Core plugin (or any other front end) validates
/// and writes its options from here rather than writing the numbers again.
/// </summary>
public static class DiskAnnOptionSpec
{
    /// <summary><c>dimension</c>: the number of float32 values in each vector, 1 to <see cref="DiskAnnLimits.MaxDimension" />; required.</summary>
    public static DiskAnnIntegerOption Dimension { get; } = new("dimension", 1, DiskAnnLimits.MaxDimension, null);

    /// <summary><c>max_degree</c>: the graph's maximum out-degree R, 2 to 256 (default 32).</summary>
    public static DiskAnnIntegerOption MaxDegree { get; } = new("max_degree", 2, 256, 32);

    /// <summary>
    /// <c>build_search_list_size</c>: the search list size L of inserts, 1 to <see cref="DiskAnnLimits.MaxK" /> (default
    /// 100, or <c>max_degree</c> when that is larger).
    /// </summary>
    public static DiskAnnIntegerOption BuildSearchListSize { get; } = new("build_search_list_size", 1, DiskAnnLimits.MaxK, 100);

    /// <summary>
    /// <c>search_list_size</c>: the search list size L of queries, 1 to <see cref="DiskAnnLimits.MaxK" /> (default 64); a
    /// query may give its own with <c>AND search_list_size = N</c>.
    /// </summary>
    public static DiskAnnIntegerOption SearchListSize { get; } = new("search_list_size", 1, DiskAnnLimits.MaxK, 64);

    /// <summary><c>alpha</c>: the RobustPrune parameter, a number from 1 to 4 (default 1.2).</summary>
    public static DiskAnnRealOption Alpha { get; } = new("alpha", 1, 4, 1.2);

    /// <summary>
    /// <c>cache_size_mb</c>: the vector cache budget of the process's shared image of the index in MiB, 0 (no budget) to
    /// <see cref="DiskAnnLimits.MaxCacheSizeMb" /> (default 0).
    /// </summary>
    public static DiskAnnIntegerOption CacheSizeMb { get; } = new("cache_size_mb", 0, DiskAnnLimits.MaxCacheSizeMb, 0);

    /// <summary>The name of the <c>metric</c> option.</summary>
    public const string MetricName = "metric";

    /// <summary>The name of the <c>quantization</c> option.</summary>
    public const string QuantizationName = "quantization";

    /// <summary>Every option name, in the order of the module's messages.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [Dimension.Name, MetricName, MaxDegree.Name, BuildSearchListSize.Name, Alpha.Name, SearchListSize.Name, QuantizationName, CacheSizeMb.Name];

    /// <summary>The SQL spellings of <see cref="DiskAnnMetric" />, indexed by its values: <c>cosine</c>, <c>l2</c>, <c>dot</c>.</summary>
    public static IReadOnlyList<string> MetricNames { get; } = ["cosine", "l2", "dot"];

    /// <summary>The SQL spellings of <see cref="DiskAnnQuantization" />, indexed by its values: <c>none</c>, <c>int8</c>.</summary>
    public static IReadOnlyList<string> QuantizationNames { get; } = ["none", "int8"];

    /// <summary>The spelling of a metric: <c>cosine</c>, <c>l2</c> or <c>dot</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a <see cref="DiskAnnMetric" />.</exception>
    public static string FormatMetric(DiskAnnMetric metric)
        => Enum.IsDefined(metric) ? MetricNames[(int)metric] : throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown DiskAnnMetric: use Cosine, L2 or Dot.");

    /// <summary>The spelling of a quantization: <c>none</c> or <c>int8</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a <see cref="DiskAnnQuantization" />.</exception>
    public static string FormatQuantization(DiskAnnQuantization quantization)
        => Enum.IsDefined(quantization)
            ? QuantizationNames[(int)quantization]
            : throw new ArgumentOutOfRangeException(nameof(quantization), quantization, "Unknown DiskAnnQuantization: use None or Int8.");

    /// <summary>Reads a metric in any case (<c>cosine</c>, <c>l2</c>, <c>dot</c>); false for anything else.</summary>
    public static bool TryParseMetric(string text, out DiskAnnMetric metric)
    {
        var i = IndexOf(MetricNames, text);
        metric = (DiskAnnMetric)Math.Max(i, 0);
        return i >= 0;
    }

    /// <summary>Reads a quantization in any case (<c>none</c>, <c>int8</c>, and <c>float32</c> for none); false for anything else.</summary>
    public static bool TryParseQuantization(string text, out DiskAnnQuantization quantization)
    {
        var i = string.Equals(text, "float32", StringComparison.OrdinalIgnoreCase) ? 0 : IndexOf(QuantizationNames, text);
        quantization = (DiskAnnQuantization)Math.Max(i, 0);
        return i >= 0;
    }

    private static int IndexOf(IReadOnlyList<string> names, string text)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i].Equals(text, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>An integer option of a <c>diskann</c> table: its SQL name, its range and its default.</summary>
/// <param name="Name">The SQL spelling, for example <c>max_degree</c>.</param>
/// <param name="Min">The smallest value accepted.</param>
/// <param name="Max">The largest value accepted.</param>
/// <param name="Default">The value when the option is not given, or <see langword="null" /> when it is required.</param>
public sealed record DiskAnnIntegerOption(string Name, int Min, int Max, int? Default)
{
    /// <summary>Whether <paramref name="value" /> is in the range.</summary>
    public bool IsValid(long value) => value >= Min && value <= Max;

    /// <summary>The range in words, for messages: <c>an integer from 2 to 256</c>.</summary>
    public string Range => string.Create(CultureInfo.InvariantCulture, $"an integer from {Min} to {Max}");
}

/// <summary>A real-valued option of a <c>diskann</c> table: its SQL name, its range and its default.</summary>
/// <param name="Name">The SQL spelling, for example <c>alpha</c>.</param>
/// <param name="Min">The smallest value accepted.</param>
/// <param name="Max">The largest value accepted.</param>
/// <param name="Default">The value when the option is not given.</param>
public sealed record DiskAnnRealOption(string Name, double Min, double Max, double Default)
{
    /// <summary>Whether <paramref name="value" /> is in the range (NaN never is).</summary>
    public bool IsValid(double value) => value >= Min && value <= Max;

    /// <summary>The range in words, for messages: <c>a number from 1 to 4</c>.</summary>
    public string Range => string.Create(CultureInfo.InvariantCulture, $"a number from {Min} to {Max}");
}
