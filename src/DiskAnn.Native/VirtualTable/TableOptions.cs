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
    public const int MaxDimension = DiskAnnLimits.MaxDimension;
    public const int DefaultMaxDegree = 32;
    public const int DefaultBuildListSize = 100;
    public const int DefaultSearchListSize = 64;
    public const float DefaultAlpha = 1.2f;

    public const int MaxCacheSizeMb = DiskAnnLimits.MaxCacheSizeMb;

    /// <summary>The ceiling for k and search_list_size (<see cref="DiskAnnLimits.MaxK"/>).</summary>
    public const int MaxListSize = DiskAnnLimits.MaxK;

    private static readonly string[] Known = ["dimension", "metric", "max_degree", "build_search_list_size", "alpha", "search_list_size", "quantization", "cache_size_mb"];

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
            if (!Known.Contains(name))
            {
                throw Fail($"diskann: unknown option '{name}' (the options are {string.Join(", ", Known)})");
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

        var dimension = Integer("dimension", dimensionText, 1, MaxDimension);
        var metric = DiskAnnMetric.Cosine;
        if (values.TryGetValue("metric", out var metricText))
        {
            metric = metricText.ToLowerInvariant() switch
            {
                "cosine" => DiskAnnMetric.Cosine,
                "l2" => DiskAnnMetric.L2,
                "dot" => DiskAnnMetric.Dot,
                _ => throw Fail($"diskann: option 'metric' must be cosine, l2 or dot, got '{metricText}'"),
            };
        }

        var maxDegree = values.TryGetValue("max_degree", out var r) ? Integer("max_degree", r, 2, 256) : DefaultMaxDegree;
        var buildList = values.TryGetValue("build_search_list_size", out var lb) ? Integer("build_search_list_size", lb, 1, MaxListSize) : Math.Max(DefaultBuildListSize, maxDegree);
        var searchList = values.TryGetValue("search_list_size", out var ls) ? Integer("search_list_size", ls, 1, MaxListSize) : DefaultSearchListSize;
        var alpha = DefaultAlpha;
        if (values.TryGetValue("alpha", out var alphaText))
        {
            if (!float.TryParse(alphaText, NumberStyles.Float, CultureInfo.InvariantCulture, out alpha) || !(alpha >= 1f && alpha <= 4f))
            {
                throw Fail($"diskann: option 'alpha' must be a number from 1 to 4, got '{alphaText}'");
            }
        }

        var encoding = DiskAnnQuantization.None;
        if (values.TryGetValue("quantization", out var quantization))
        {
            encoding = quantization.ToLowerInvariant() switch
            {
                "none" or "float32" => DiskAnnQuantization.None,
                "int8" => DiskAnnQuantization.Int8,
                _ => throw Fail($"diskann: option 'quantization' must be none or int8, got '{quantization}'"),
            };
        }

        var cacheSize = values.TryGetValue("cache_size_mb", out var cache) ? Integer("cache_size_mb", cache, 0, MaxCacheSizeMb) : 0;
        FilterColumnDeclaration.Check(columns);
        return new GraphOptions(dimension, metric, maxDegree, buildList, alpha, searchList, encoding, cacheSize) { FilterColumns = columns };
    }

    /// <summary>The options as a CREATE argument list, for messages and for tools that rebuild the declaration.</summary>
    public static string Format(GraphOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"dimension={o.Dimension}, metric={Distance.VectorMath.Name(o.Metric)}, max_degree={o.MaxDegree}, build_search_list_size={o.BuildListSize}, alpha={o.Alpha}, search_list_size={o.SearchListSize}, quantization={(o.Quantization == DiskAnnQuantization.Int8 ? "int8" : "none")}, cache_size_mb={o.CacheSizeMb}{string.Concat(o.FilterColumns.Select(c => ", " + c.Declaration))}");

    private static int Integer(string name, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw Fail($"diskann: option '{name}' must be an integer from {min} to {max}, got '{text}'");
        }

        return value;
    }

    private static string Unquote(string value)
        => value.Length >= 2 && (value[0] == '\'' || value[0] == '"') && value[^1] == value[0] ? value[1..^1] : value;

    private static SqliteCallException Fail(string message) => new(SqliteConstants.ERROR, message);
}
