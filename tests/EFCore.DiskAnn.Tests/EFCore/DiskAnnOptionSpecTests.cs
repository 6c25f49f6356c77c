using System.Globalization;
using DiskAnn;
using DiskAnn.VirtualTable;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.DiskAnn.Tests.EFCore;

/// <summary>
/// The module's CREATE and the EF Core plugin read the same <see cref="DiskAnnOptionSpec" />: each bound is accepted by
/// both, one past it is refused by both, and the defaults are the module's.
/// </summary>
public class DiskAnnOptionSpecTests
{
    public static TheoryData<string> IntegerOptions => new() { "dimension", "max_degree", "build_search_list_size", "search_list_size", "cache_size_mb" };

    private static DiskAnnIntegerOption Integer(string name)
        => new[] { DiskAnnOptionSpec.Dimension, DiskAnnOptionSpec.MaxDegree, DiskAnnOptionSpec.BuildSearchListSize, DiskAnnOptionSpec.SearchListSize, DiskAnnOptionSpec.CacheSizeMb }
            .Single(o => o.Name == name);

    private static DiskAnnIndexOptions EfOptions(string name, int value) => name switch
    {
        "dimension" => new DiskAnnIndexOptions(value),
        "max_degree" => new DiskAnnIndexOptions(8, MaxDegree: value),
        "build_search_list_size" => new DiskAnnIndexOptions(8, BuildSearchListSize: value),
        "search_list_size" => new DiskAnnIndexOptions(8, SearchListSize: value),
        _ => new DiskAnnIndexOptions(8, CacheSizeMb: value),
    };

    [Theory]
    [MemberData(nameof(IntegerOptions))]
    public void The_module_and_EF_Core_accept_and_refuse_the_same_integers(string name)
    {
        var option = Integer(name);
        foreach (var value in new[] { option.Min, option.Max })
        {
            var options = EfOptions(name, value);
            options.Validate();
            TableOptions.Parse(options.ToModuleArguments().Split(", "));
        }

        foreach (var value in new[] { option.Min - 1, option.Max + 1 })
        {
            var ef = Assert.Throws<ArgumentOutOfRangeException>(() => EfOptions(name, value).Validate());
            Assert.Contains($"{name} must be {option.Range}", ef.Message);
            var module = Assert.ThrowsAny<Exception>(() => TableOptions.Parse([name == "dimension" ? "" : "dimension=8", $"{name}={value}"]));
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"diskann: option '{name}' must be {option.Range}, got '{value}'"), module.Message);
        }
    }

    [Fact]
    public void Alpha_bounds_and_the_defaults_are_the_modules()
    {
        foreach (var alpha in new[] { 1.0, 4.0 })
        {
            new DiskAnnIndexOptions(8, Alpha: alpha).Validate();
            Assert.Equal((float)alpha, TableOptions.Parse(["dimension=8", FormattableString.Invariant($"alpha={alpha}")]).Alpha);
        }

        foreach (var alpha in new[] { 0.5, 5.0 })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new DiskAnnIndexOptions(8, Alpha: alpha).Validate());
            var module = Assert.ThrowsAny<Exception>(() => TableOptions.Parse(["dimension=8", FormattableString.Invariant($"alpha={alpha}")]));
            Assert.Contains("option 'alpha' must be a number from 1 to 4", module.Message);
        }

        var defaults = TableOptions.Parse(["dimension=8"]);
        Assert.Equal(DiskAnnOptionSpec.MaxDegree.Default, defaults.MaxDegree);
        Assert.Equal(DiskAnnOptionSpec.BuildSearchListSize.Default, defaults.BuildListSize);
        Assert.Equal(DiskAnnOptionSpec.SearchListSize.Default, defaults.SearchListSize);
        Assert.Equal((float)DiskAnnOptionSpec.Alpha.Default, defaults.Alpha);
        Assert.Equal(DiskAnnOptionSpec.CacheSizeMb.Default, defaults.CacheSizeMb);
        Assert.Equal(DiskAnnOptionSpec.Names, ["dimension", "metric", "max_degree", "build_search_list_size", "alpha", "search_list_size", "quantization", "cache_size_mb"]);
    }

    [Fact]
    public void Metric_and_quantization_spellings_are_shared()
    {
        foreach (var metric in Enum.GetValues<DiskAnnMetric>())
        {
            var spelling = DiskAnnIndexOptions.FormatMetric(metric);
            Assert.Equal(DiskAnnOptionSpec.MetricNames[(int)metric], spelling);
            Assert.Equal(metric, TableOptions.Parse(["dimension=8", "metric=" + spelling.ToUpperInvariant()]).Metric);
        }

        foreach (var quantization in Enum.GetValues<DiskAnnQuantization>())
        {
            var spelling = DiskAnnIndexOptions.FormatQuantization(quantization);
            Assert.Equal(quantization, TableOptions.Parse(["dimension=8", "quantization=" + spelling]).Quantization);
        }
    }
}
