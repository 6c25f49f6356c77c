using System.Globalization;
using System.Text;
using DiskAnn;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Microsoft.EntityFrameworkCore.Metadata;

/// <summary>The options of one <c>diskann</c> index, as written in <c>CREATE VIRTUAL TABLE ... USING diskann(...)</c>.</summary>
/// <param name="Dimension">Number of float32 values in each vector.</param>
/// <param name="Metric">The distance the index orders by.</param>
/// <param name="MaxDegree">The module's <c>max_degree</c> (R), or <see langword="null" /> for its default.</param>
/// <param name="BuildSearchListSize">The module's <c>build_search_list_size</c>, or <see langword="null" /> for its default.</param>
/// <param name="Alpha">The module's <c>alpha</c>, or <see langword="null" /> for its default.</param>
/// <param name="SearchListSize">The module's <c>search_list_size</c>, or <see langword="null" /> for its default.</param>
/// <param name="Quantization">The module's <c>quantization</c>: float32 vectors (the default) or int8 codes.</param>
/// <param name="CacheSizeMb">The module's <c>cache_size_mb</c> (vector cache budget of the process's shared image of the index, 0 = all), or <see langword="null" /> when not declared.</param>
/// <param name="FilterColumns">The index's filter columns (included properties and the partition key), or <see langword="null" /> for none.</param>
public sealed record DiskAnnIndexOptions(
    int Dimension,
    DiskAnnMetric Metric = DiskAnnMetric.Cosine,
    int? MaxDegree = null,
    int? BuildSearchListSize = null,
    double? Alpha = null,
    int? SearchListSize = null,
    DiskAnnQuantization Quantization = DiskAnnQuantization.None,
    int? CacheSizeMb = null,
    IReadOnlyList<DiskAnnFilterColumn>? FilterColumns = null)
{
    /// <summary>The largest dimension the module accepts (<see cref="DiskAnnLimits.MaxDimension"/>).</summary>
    public const int MaxDimension = DiskAnnLimits.MaxDimension;

    /// <summary>The largest <c>cache_size_mb</c> the module accepts (<see cref="DiskAnnLimits.MaxCacheSizeMb"/>).</summary>
    public const int MaxCacheSizeMb = DiskAnnLimits.MaxCacheSizeMb;

    /// <summary>
    /// The largest k (and <c>LIMIT + OFFSET</c>) a search of the module accepts (<see cref="DiskAnnLimits.MaxK"/>). A LINQ
    /// query that asks for more rows (<c>Skip + Take</c> above it) is answered by an exact scan instead, and logs
    /// <see cref="Diagnostics.DiskAnnEventId.ExactScanFallback" />.
    /// </summary>
    public const int MaxK = DiskAnnLimits.MaxK;

    // The module's spellings, indexed by the enums' values (DiskAnnOptionSpec).
    private static readonly string[] MetricNames = [.. DiskAnnOptionSpec.MetricNames];
    private static readonly string[] QuantizationNames = [.. DiskAnnOptionSpec.QuantizationNames];

    /// <summary>Reads the options from annotations, or returns <see langword="null" /> when they do not describe a <c>diskann</c> index.</summary>
    public static DiskAnnIndexOptions? FromAnnotations(IReadOnlyAnnotatable annotatable)
        => FromAnnotations(name => annotatable.FindAnnotation(name)?.Value);

    /// <summary>Reads the options from a set of annotations, or returns <see langword="null" /> when they do not describe a <c>diskann</c> index.</summary>
    public static DiskAnnIndexOptions? FromAnnotations(IEnumerable<IAnnotation> annotations)
    {
        var list = annotations as IReadOnlyCollection<IAnnotation> ?? annotations.ToList();
        return FromAnnotations(name => list.FirstOrDefault(a => a.Name == name)?.Value);
    }

    private static DiskAnnIndexOptions? FromAnnotations(Func<string, object?> find)
    {
        var dimension = find(DiskAnnAnnotationNames.Dimension);
        if (dimension is null)
        {
            return null;
        }

        return new DiskAnnIndexOptions(
            Convert.ToInt32(dimension, CultureInfo.InvariantCulture),
            find(DiskAnnAnnotationNames.Metric) is { } metric ? ParseMetric(metric) : DiskAnnMetric.Cosine,
            ToInt(find(DiskAnnAnnotationNames.MaxDegree)),
            ToInt(find(DiskAnnAnnotationNames.BuildSearchListSize)),
            find(DiskAnnAnnotationNames.Alpha) is { } alpha ? Convert.ToDouble(alpha, CultureInfo.InvariantCulture) : null,
            ToInt(find(DiskAnnAnnotationNames.SearchListSize)),
            find(DiskAnnAnnotationNames.Quantization) is { } quantization ? ParseQuantization(quantization) : DiskAnnQuantization.None,
            ToInt(find(DiskAnnAnnotationNames.CacheSizeMb)),
            find(DiskAnnAnnotationNames.FilterColumns) is string columns && DiskAnnFilterColumn.Parse(columns) is { Count: > 0 } parsed ? parsed : null);

        static int? ToInt(object? value) => value is null ? null : Convert.ToInt32(value, CultureInfo.InvariantCulture);
    }

    /// <summary>The annotations that describe these options (only the options that are set).</summary>
    public IEnumerable<KeyValuePair<string, object>> ToAnnotations()
    {
        yield return new(DiskAnnAnnotationNames.Dimension, Dimension);
        yield return new(DiskAnnAnnotationNames.Metric, FormatMetric(Metric));
        if (MaxDegree is { } maxDegree)
        {
            yield return new(DiskAnnAnnotationNames.MaxDegree, maxDegree);
        }

        if (BuildSearchListSize is { } buildSearchListSize)
        {
            yield return new(DiskAnnAnnotationNames.BuildSearchListSize, buildSearchListSize);
        }

        if (Alpha is { } alpha)
        {
            yield return new(DiskAnnAnnotationNames.Alpha, alpha);
        }

        if (SearchListSize is { } searchListSize)
        {
            yield return new(DiskAnnAnnotationNames.SearchListSize, searchListSize);
        }

        // none is the default and has no annotation, so that models written before the option do not change.
        if (Quantization != DiskAnnQuantization.None)
        {
            yield return new(DiskAnnAnnotationNames.Quantization, FormatQuantization(Quantization));
        }

        if (CacheSizeMb is { } cacheSizeMb)
        {
            yield return new(DiskAnnAnnotationNames.CacheSizeMb, cacheSizeMb);
        }

        if (FilterColumns is { Count: > 0 } filterColumns)
        {
            yield return new(DiskAnnAnnotationNames.FilterColumns, DiskAnnFilterColumn.Format(filterColumns));
        }
    }

    /// <summary>The module arguments, for example <c>dimension=384, metric=cosine</c>.</summary>
    public string ToModuleArguments()
    {
        var builder = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"dimension={Dimension}, metric={FormatMetric(Metric)}");
        if (MaxDegree is { } maxDegree)
        {
            builder.Append(CultureInfo.InvariantCulture, $", max_degree={maxDegree}");
        }

        if (BuildSearchListSize is { } buildSearchListSize)
        {
            builder.Append(CultureInfo.InvariantCulture, $", build_search_list_size={buildSearchListSize}");
        }

        if (Alpha is { } alpha)
        {
            builder.Append(", alpha=").Append(alpha.ToString("R", CultureInfo.InvariantCulture));
        }

        if (SearchListSize is { } searchListSize)
        {
            builder.Append(CultureInfo.InvariantCulture, $", search_list_size={searchListSize}");
        }

        if (Quantization != DiskAnnQuantization.None)
        {
            builder.Append(", quantization=").Append(FormatQuantization(Quantization));
        }

        if (CacheSizeMb is { } cacheSizeMb)
        {
            builder.Append(CultureInfo.InvariantCulture, $", cache_size_mb={cacheSizeMb}");
        }

        if (FilterColumns is { Count: > 0 } filterColumns)
        {
            builder.Append(", ").Append(DiskAnnFilterColumn.Format(filterColumns));
        }

        return builder.ToString();
    }

    /// <summary>
    /// Throws when an option is out of the range the module accepts (<see cref="DiskAnnOptionSpec" />), with a message
    /// naming the option, its range and the builder method that sets it.
    /// </summary>
    public void Validate()
    {
        CheckOption(DiskAnnOptionSpec.Dimension, Dimension, nameof(Dimension), "HasDiskAnnIndex(..., dimension)");
        _ = DiskAnnOptionSpec.FormatMetric(Metric);
        CheckOption(DiskAnnOptionSpec.MaxDegree, MaxDegree, nameof(MaxDegree), "HasMaxDegree");
        CheckOption(DiskAnnOptionSpec.BuildSearchListSize, BuildSearchListSize, nameof(BuildSearchListSize), "HasBuildSearchListSize");
        if (Alpha is { } alpha)
        {
            CheckOption(DiskAnnOptionSpec.Alpha, alpha, nameof(Alpha), "HasAlpha");
        }

        CheckOption(DiskAnnOptionSpec.SearchListSize, SearchListSize, nameof(SearchListSize), "HasSearchListSize");
        _ = DiskAnnOptionSpec.FormatQuantization(Quantization);
        CheckOption(DiskAnnOptionSpec.CacheSizeMb, CacheSizeMb, nameof(CacheSizeMb), "HasCacheSize");
        if (FilterColumns is { } filterColumns)
        {
            ValidateFilterColumns(filterColumns);
        }
    }

    /// <summary>
    /// Throws an <see cref="ArgumentOutOfRangeException" /> for <paramref name="parameterName" /> when
    /// <paramref name="value" /> is outside the range of <paramref name="option" />; the message names the option, its
    /// range and default, and the fix (<paramref name="method" /> with a value in the range).
    /// </summary>
    internal static void CheckOption(DiskAnnIntegerOption option, int? value, string parameterName, string method)
    {
        if (value is { } v && !option.IsValid(v))
        {
            throw new ArgumentOutOfRangeException(parameterName, v, OutOfRangeMessage(option.Name, option.Range, option.Default?.ToString(CultureInfo.InvariantCulture), v.ToString(CultureInfo.InvariantCulture), method));
        }
    }

    /// <inheritdoc cref="CheckOption(DiskAnnIntegerOption, int?, string, string)" />
    internal static void CheckOption(DiskAnnRealOption option, double value, string parameterName, string method)
    {
        if (!option.IsValid(value))
        {
            throw new ArgumentOutOfRangeException(parameterName, value, OutOfRangeMessage(option.Name, option.Range, option.Default.ToString(CultureInfo.InvariantCulture), value.ToString(CultureInfo.InvariantCulture), method));
        }
    }

    private static string OutOfRangeMessage(string name, string range, string? defaultValue, string value, string method)
        => $"The diskann option {name} must be {range}{(defaultValue is null ? "" : $" (default {defaultValue})")}, got {value}: "
            + (defaultValue is null
                ? $"give {method} a value in that range."
                : $"give {method} a value in that range, or leave it out for the default.");

    /// <summary>Throws when the filter columns are not ones the module accepts (see <see cref="DiskAnnFilterColumn" />).</summary>
    private static void ValidateFilterColumns(IReadOnlyList<DiskAnnFilterColumn> columns)
    {
        if (columns.Count > DiskAnnFilterColumn.MaxCount)
        {
            throw new InvalidOperationException($"A diskann index has at most {DiskAnnFilterColumn.MaxCount} filter columns, got {columns.Count}.");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var column in columns)
        {
            if (!seen.Add(column.Name))
            {
                throw new InvalidOperationException($"The diskann filter column '{column.Name}' is declared twice (names are compared in any case).");
            }

            if (DiskAnnFilterColumn.ReservedNames.Contains(column.Name, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"A diskann filter column cannot be named '{column.Name}': {string.Join(", ", DiskAnnFilterColumn.ReservedNames)} are the index's own columns (any case); map the property to another column name.");
            }

            if (column.PartitionKey && column.Type == DiskAnnFilterType.Real)
            {
                throw new InvalidOperationException($"The diskann filter column '{column.Name}' is REAL: a partition key is INTEGER or TEXT.");
            }
        }

        if (columns.Count(c => c.PartitionKey) > 1)
        {
            throw new InvalidOperationException("A diskann index has at most one partition key.");
        }
    }

    /// <inheritdoc />
    public bool Equals(DiskAnnIndexOptions? other)
        => other is not null
            && Dimension == other.Dimension
            && Metric == other.Metric
            && MaxDegree == other.MaxDegree
            && BuildSearchListSize == other.BuildSearchListSize
            && Alpha == other.Alpha
            && SearchListSize == other.SearchListSize
            && Quantization == other.Quantization
            && CacheSizeMb == other.CacheSizeMb
            && (FilterColumns ?? []).SequenceEqual(other.FilterColumns ?? []);

    /// <inheritdoc />
    public override int GetHashCode()
        => HashCode.Combine(Dimension, Metric, MaxDegree, BuildSearchListSize, Alpha, SearchListSize, Quantization, HashCode.Combine(CacheSizeMb, FilterColumns?.Count ?? 0));

    /// <summary>The module's spelling of a metric: <c>cosine</c>, <c>l2</c> or <c>dot</c>.</summary>
    public static string FormatMetric(DiskAnnMetric metric) => DiskAnnOptionSpec.FormatMetric(metric);

    /// <summary>Parses <c>cosine</c>, <c>l2</c> or <c>dot</c> (or the enum's own names, or its number).</summary>
    public static DiskAnnMetric ParseMetric(object value) => Parse<DiskAnnMetric>(value, MetricNames, "metric");

    /// <summary>The module's spelling of a quantization: <c>none</c> or <c>int8</c>.</summary>
    public static string FormatQuantization(DiskAnnQuantization quantization) => DiskAnnOptionSpec.FormatQuantization(quantization);

    /// <summary>Parses <c>none</c> or <c>int8</c> (or the enum's own names, or its number).</summary>
    public static DiskAnnQuantization ParseQuantization(object value) => Parse<DiskAnnQuantization>(value, QuantizationNames, "quantization");

    private static T Parse<T>(object value, string[] names, string what)
        where T : struct, Enum
        => value switch
        {
            T known => known,
            string s when Array.FindIndex(names, n => n.Equals(s, StringComparison.OrdinalIgnoreCase)) is var i and >= 0 => (T)Enum.ToObject(typeof(T), i),
            int i when Enum.IsDefined(typeof(T), i) => (T)Enum.ToObject(typeof(T), i),
            _ => throw new InvalidOperationException($"'{value}' is not a diskann {what}: use {string.Join(", ", names[..^1])} or {names[^1]}."),
        };

    /// <summary>The name of the exact SQL function for a metric, for example <c>vector_distance_cosine</c>.</summary>
    public static string DistanceFunctionName(DiskAnnMetric metric) => "vector_distance_" + FormatMetric(metric);
}
