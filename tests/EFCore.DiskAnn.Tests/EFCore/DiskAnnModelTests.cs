using DiskAnn;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.DiskAnn.Tests.EFCore;

public class DiskAnnModelTests
{
    [Fact]
    public void HasDiskAnnIndex_stores_the_options_as_annotations()
    {
        using var db = new PagesContext();
        var index = db.GetService<IDesignTimeModel>().Model.FindEntityType(typeof(Page))!.GetIndexes().Single();
        Assert.True(index.IsDiskAnnIndex());
        Assert.Equal(new DiskAnnIndexOptions(8, DiskAnnMetric.Dot, Alpha: 1.3), index.GetDiskAnnOptions());
        Assert.Equal("IX_Pages_Embedding", index.GetDatabaseName());
    }

    [Fact]
    public void The_vector_is_a_BLOB_whose_mapping_knows_the_index()
    {
        using var db = new PagesContext();
        var property = db.Model.FindEntityType(typeof(Page))!.FindProperty(nameof(Page.Embedding))!;
        var mapping = Assert.IsType<DiskAnnVectorTypeMapping>(property.GetRelationalTypeMapping());
        Assert.Equal("BLOB", mapping.StoreType);
        Assert.Equal(DiskAnnMetric.Dot, mapping.Metric);
        Assert.Equal(8, mapping.Dimension);
        Assert.Null(property.GetElementType());
    }

    [Fact]
    public void The_relational_index_carries_the_key_column()
    {
        using var db = new PagesContext();
        var index = db.GetService<IDesignTimeModel>().Model.GetRelationalModel().FindTable("Pages", null)!.Indexes.Single();
        Assert.Equal("Id", index[DiskAnnAnnotationNames.KeyColumn]);
        Assert.Equal("dot", index[DiskAnnAnnotationNames.Metric]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16001)]
    [InlineData(20000)]
    public void A_dimension_out_of_range_is_refused(int dimension)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new PagesContext(b => b.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, dimension)).Model);
        Assert.Equal("dimension", error.ParamName);
        Assert.Contains($"The diskann option dimension must be an integer from 1 to 16000, got {dimension}: give HasDiskAnnIndex(property, dimension) a value in that range.", error.Message);
    }

    [Fact]
    public void HasDiskAnnIndex_without_UseDiskAnn_is_refused_with_the_fix()
    {
        using var db = new NoPluginPagesContext();
        var error = Assert.Throws<InvalidOperationException>(() => db.Model);
        Assert.Contains("HasDiskAnnIndex on 'Page.Embedding' needs the diskann plugin", error.Message);
        Assert.Contains("o => o.UseDiskAnn()", error.Message);
    }

    public static TheoryData<Action<DiskAnnIndexBuilder<Page>>, string, string> OutOfRangeOptions => new()
    {
        { b => b.HasMaxDegree(300), "maxDegree", "The diskann option max_degree must be an integer from 2 to 256 (default 32), got 300: give HasMaxDegree a value in that range, or leave it out for the default." },
        { b => b.HasMaxDegree(1), "maxDegree", "max_degree must be an integer from 2 to 256 (default 32), got 1" },
        { b => b.HasAlpha(5), "alpha", "The diskann option alpha must be a number from 1 to 4 (default 1.2), got 5: give HasAlpha a value in that range" },
        { b => b.HasAlpha(double.NaN), "alpha", "alpha must be a number from 1 to 4 (default 1.2), got NaN" },
        { b => b.HasSearchListSize(0), "searchListSize", "The diskann option search_list_size must be an integer from 1 to 10000 (default 64), got 0: give HasSearchListSize" },
        { b => b.HasSearchListSize(10001), "searchListSize", "search_list_size must be an integer from 1 to 10000 (default 64), got 10001" },
        { b => b.HasBuildSearchListSize(20000), "buildSearchListSize", "build_search_list_size must be an integer from 1 to 10000 (default 100), got 20000: give HasBuildSearchListSize" },
    };

    [Theory]
    [MemberData(nameof(OutOfRangeOptions))]
    public void An_option_the_module_would_refuse_is_refused_at_model_building(Action<DiskAnnIndexBuilder<Page>> configure, string parameter, string message)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new PagesContext(b => configure(b.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, 8))).Model);
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Options_from_a_hand_written_migration_are_checked_against_the_same_ranges()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DiskAnnIndexOptions(8, MaxDegree: 300).Validate());
        Assert.Equal(nameof(DiskAnnIndexOptions.MaxDegree), error.ParamName);
        Assert.Contains("max_degree must be an integer from 2 to 256", error.Message);
        new DiskAnnIndexOptions(DiskAnnLimits.MaxDimension, MaxDegree: 256, BuildSearchListSize: DiskAnnLimits.MaxK, Alpha: 4, SearchListSize: 1, CacheSizeMb: 0).Validate();
    }

    [Fact]
    public void A_non_vector_property_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => new PagesContext(b => b.Entity<Page>().HasDiskAnnIndex(p => p.Title, 8)).Model);
        Assert.Contains("float[] or ReadOnlyMemory<float>", error.Message);
    }

    [Fact]
    public void A_composite_key_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => new PagesContext(b =>
            {
                b.Entity<Page>().HasKey(p => new { p.Id, p.Title });
                b.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, 8);
            }).Model);
        Assert.Contains("needs a primary key of one property", error.Message);
        Assert.Contains("composite key (Id, Title)", error.Message);
    }

    [Fact]
    public void The_mapping_converts_checks_the_length_and_writes_literals()
    {
        var mapping = new DiskAnnVectorTypeMapping(typeof(float[])).WithIndex(DiskAnnMetric.L2, 2);
        var blob = (byte[])mapping.Converter!.ConvertToProvider(new[] { 1f, -2f })!;
        Assert.Equal(DiskAnnVector.ToBlob([1f, -2f]), blob);
        Assert.Equal(new[] { 1f, -2f }, (float[])mapping.Converter.ConvertFromProvider(blob)!);
        Assert.Equal("X'0000803F000000C0'", mapping.GenerateSqlLiteral(new[] { 1f, -2f }));
        var error = Assert.Throws<InvalidOperationException>(() => mapping.Converter.ConvertToProvider(new[] { 1f }));
        Assert.Contains("dimension 2", error.Message);
        Assert.True(mapping.Comparer.Equals(new[] { 1f, 2f }, new[] { 1f, 2f }));
        Assert.False(mapping.Comparer.Equals(new[] { 1f, 2f }, new[] { 1f, 3f }));

        var memory = new DiskAnnVectorTypeMapping(typeof(ReadOnlyMemory<float>));
        var fromMemory = (byte[])memory.Converter!.ConvertToProvider(new ReadOnlyMemory<float>([1f, -2f]))!;
        Assert.Equal(blob, fromMemory);
    }

    [Fact]
    public void Module_arguments_are_written_in_the_module_spelling()
    {
        Assert.Equal(
            "dimension=384, metric=l2, max_degree=32, build_search_list_size=100, alpha=1.2, search_list_size=64",
            new DiskAnnIndexOptions(384, DiskAnnMetric.L2, 32, 100, 1.2, 64).ToModuleArguments());
        Assert.Equal(
            "dimension=384, metric=cosine, quantization=int8, cache_size_mb=64",
            new DiskAnnIndexOptions(384, Quantization: DiskAnnQuantization.Int8, CacheSizeMb: 64).ToModuleArguments());
    }

    [Fact]
    public void HasQuantization_and_HasCacheSize_store_the_options_and_round_trip_through_annotations()
    {
        using var db = new PagesContext(b => b.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, 8)
            .HasQuantization(DiskAnnQuantization.Int8)
            .HasCacheSize(64));
        var index = db.GetService<IDesignTimeModel>().Model.FindEntityType(typeof(Page))!.GetIndexes().Single();
        var options = new DiskAnnIndexOptions(8, Quantization: DiskAnnQuantization.Int8, CacheSizeMb: 64);
        Assert.Equal(options, index.GetDiskAnnOptions());
        Assert.Equal("int8", index[DiskAnnAnnotationNames.Quantization]);
        Assert.Equal(64, index[DiskAnnAnnotationNames.CacheSizeMb]);
        Assert.Equal(options, DiskAnnIndexOptions.FromAnnotations(options.ToAnnotations().Select(a => new Annotation(a.Key, a.Value))));

        var table = db.GetService<IDesignTimeModel>().Model.GetRelationalModel().FindTable("Pages", null)!.Indexes.Single();
        Assert.Equal(options, table.GetDiskAnnOptions());
    }

    [Fact]
    public void Quantization_none_is_the_default_and_has_no_annotation()
    {
        // A model that switches back to None must equal one that never declared it (no migration for nothing).
        using var db = new PagesContext(b => b.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, 8)
            .HasQuantization(DiskAnnQuantization.Int8)
            .HasQuantization(DiskAnnQuantization.None));
        var index = db.GetService<IDesignTimeModel>().Model.FindEntityType(typeof(Page))!.GetIndexes().Single();
        Assert.Null(index.FindAnnotation(DiskAnnAnnotationNames.Quantization));
        Assert.Equal(new DiskAnnIndexOptions(8), index.GetDiskAnnOptions());
        Assert.DoesNotContain(new DiskAnnIndexOptions(8).ToAnnotations(), a => a.Key == DiskAnnAnnotationNames.Quantization);
        Assert.Equal(DiskAnnQuantization.None, DiskAnnIndexOptions.ParseQuantization("none"));
        Assert.Equal(DiskAnnQuantization.Int8, DiskAnnIndexOptions.ParseQuantization("INT8"));
        Assert.Throws<InvalidOperationException>(() => DiskAnnIndexOptions.ParseQuantization("int4"));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1048577)]
    public void A_cache_size_out_of_range_is_refused_with_the_range(int megabytes)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new PagesContext(b => b.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, 8).HasCacheSize(megabytes)).Model);
        Assert.Equal("megabytes", error.ParamName);

        // The range comes from DiskAnnOptionSpec, in the module's words (was "between 0 (no budget) and 1048576").
        Assert.Contains("cache_size_mb must be an integer from 0 to 1048576 (default 0)", error.Message);
        Assert.Contains("give HasCacheSize a value in that range", error.Message);

        var fromOptions = Assert.Throws<ArgumentOutOfRangeException>(() => new DiskAnnIndexOptions(8, CacheSizeMb: megabytes).Validate());
        Assert.Contains("cache_size_mb", fromOptions.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1048576)]
    public void The_cache_size_bounds_are_accepted(int megabytes)
    {
        using var db = new PagesContext(b => b.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, 8).HasCacheSize(megabytes));
        Assert.Equal(megabytes, db.Model.FindEntityType(typeof(Page))!.GetIndexes().Single().GetDiskAnnOptions()!.CacheSizeMb);
    }

    [Fact]
    public void An_unknown_quantization_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new PagesContext(b => b.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, 8).HasQuantization((DiskAnnQuantization)7)).Model);
        Assert.Contains("DiskAnnQuantization", error.Message);
    }
}
