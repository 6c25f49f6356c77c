using System.Globalization;
using DiskAnn.Graph;
using DiskAnn.Sqlite;

namespace DiskAnn.VirtualTable;

/// <summary>
/// Parses the arguments of <c>CREATE VIRTUAL TABLE ... USING diskann(dimension=384, metric=cosine, ...)</c>.
/// Every option is checked; an unknown, repeated or out-of-range option fails CREATE with a message naming it.
/// </summary>
internal static class TableOptions
{
    public const int MaxCacheSizeMb = DiskAnnLimits.MaxCacheSizeMb;

    /// <summary>The ceiling for k and search_list_size (<see cref="DiskAnnLimits.MaxK"/>).</summary>
    public const int MaxListSize = DiskAnnLimits.MaxK;

    public static GraphOptions Parse(IReadOnlyList<string> arguments)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var columns = new List<Filters.FilterColumn>();
        foreach (var argument in arguments)
        {
            var text = argument.Trim();
            if (text.Length == 0)
            {
                continue;
            }

            var equals = text.IndexOf('=');
            if (equals < 0)
            {
                columns.Add(FilterColumnDeclaration.Parse(text));
                continue;
            }

            if (equals == 0)
            {
                throw Fail($"diskann: cannot read option '{text}': write name=value, for example dimension=384");
            }

            var name = text[..equals].Trim().ToLowerInvariant();
            var value = Unquote(text[(equals + 1)..].Trim());
            if (!DiskAnnOptionSpec.Names.Contains(name))
            {
                throw Fail($"diskann: unknown option '{name}' (the options are {string.Join(", ", DiskAnnOptionSpec.Names)})");
            }

            if (!values.TryAdd(name, value))
            {
                throw Fail($"diskann: option '{name}' is given twice");
            }
        }

        if (!values.TryGetValue("dimension", out var dimensionText))
        {
            throw Fail("diskann: option 'dimension' is required, for example diskann(dimension=384)");
        }

        var dimension = Integer(DiskAnnOptionSpec.Dimension, dimensionText);
        var metric = DiskAnnMetric.Cosine;
        if (values.TryGetValue(DiskAnnOptionSpec.MetricName, out var metricText) && !DiskAnnOptionSpec.TryParseMetric(metricText, out metric))
        {
            throw Fail($"diskann: option 'metric' must be cosine, l2 or dot, got '{metricText}'");
        }

        var maxDegree = Integer(DiskAnnOptionSpec.MaxDegree, values);
        var buildList = values.TryGetValue(DiskAnnOptionSpec.BuildSearchListSize.Name, out var lb)
            ? Integer(DiskAnnOptionSpec.BuildSearchListSize, lb)
            : Math.Max(DiskAnnOptionSpec.BuildSearchListSize.Default!.Value, maxDegree);
        var searchList = Integer(DiskAnnOptionSpec.SearchListSize, values);
        var alpha = (float)DiskAnnOptionSpec.Alpha.Default;
        if (values.TryGetValue(DiskAnnOptionSpec.Alpha.Name, out var alphaText))
        {
            if (!float.TryParse(alphaText, NumberStyles.Float, CultureInfo.InvariantCulture, out alpha) || !DiskAnnOptionSpec.Alpha.IsValid(alpha))
            {
                throw Fail($"diskann: option 'alpha' must be {DiskAnnOptionSpec.Alpha.Range}, got '{alphaText}'");
            }
        }

        var encoding = DiskAnnQuantization.None;
        if (values.TryGetValue(DiskAnnOptionSpec.QuantizationName, out var quantization) && !DiskAnnOptionSpec.TryParseQuantization(quantization, out encoding))
        {
            throw Fail($"diskann: option 'quantization' must be none or int8, got '{quantization}'");
        }

        var cacheSize = Integer(DiskAnnOptionSpec.CacheSizeMb, values);
        FilterColumnDeclaration.Check(columns);
        return new GraphOptions(dimension, metric, maxDegree, buildList, alpha, searchList, encoding, cacheSize) { FilterColumns = columns };
    }

    /// <summary>The options as a CREATE argument list, for messages and for tools that rebuild the declaration.</summary>
    public static string Format(GraphOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"dimension={o.Dimension}, metric={DiskAnnOptionSpec.FormatMetric(o.Metric)}, max_degree={o.MaxDegree}, build_search_list_size={o.BuildListSize}, alpha={o.Alpha}, search_list_size={o.SearchListSize}, quantization={DiskAnnOptionSpec.FormatQuantization(o.Quantization)}, cache_size_mb={o.CacheSizeMb}{string.Concat(o.FilterColumns.Select(c => ", " + c.Declaration))}");

    private static int Integer(DiskAnnIntegerOption option, Dictionary<string, string> values)
        => values.TryGetValue(option.Name, out var text) ? Integer(option, text) : option.Default!.Value;

    private static int Integer(DiskAnnIntegerOption option, string text)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || !option.IsValid(value))
        {
            throw Fail($"diskann: option '{option.Name}' must be {option.Range}, got '{text}'");
        }

        return value;
    }

    private static string Unquote(string value)
        => value.Length >= 2 && (value[0] == '\'' || value[0] == '"') && value[^1] == value[0] ? value[1..^1] : value;

    private static SqliteCallException Fail(string message) => new(SqliteConstants.ERROR, message);
}
