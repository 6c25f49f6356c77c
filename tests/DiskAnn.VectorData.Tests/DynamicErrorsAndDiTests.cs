using System.Linq.Expressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData.Tests;

public sealed class DynamicErrorsAndDiTests : IDisposable
{
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    private static VectorStoreCollectionDefinition Definition() => new()
    {
        Properties =
        [
            new VectorStoreKeyProperty("Key", typeof(string)),
            new VectorStoreDataProperty("Lang", typeof(string)) { IsIndexed = true },
            new VectorStoreDataProperty("Year", typeof(int?)),
            new VectorStoreDataProperty("When", typeof(DateTimeOffset)) { IsIndexed = true },
            new VectorStoreDataProperty("Day", typeof(DateOnly)),
            new VectorStoreDataProperty("Id", typeof(Guid)),
            new VectorStoreDataProperty("Scores", typeof(List<int>)),
            new VectorStoreDataProperty("Blob", typeof(byte[])),
            new VectorStoreVectorProperty("Vector", typeof(ReadOnlyMemory<float>), 3) { DistanceFunction = DistanceFunction.EuclideanDistance },
        ],
    };

    [Fact]
    public async Task Dynamic_records_round_trip_filter_and_search()
    {
        using var store = new DiskAnnVectorStore(_db.ConnectionString);
        var collection = store.GetDynamicCollection("dyn", Definition());
        Assert.IsType<DiskAnnDynamicCollection>(collection);
        await collection.EnsureCollectionExistsAsync();
        var when = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.FromHours(2));
        var records = Enumerable.Range(0, 20).Select(i => new Dictionary<string, object?>
        {
            ["Key"] = "k" + i,
            ["Lang"] = i % 2 == 0 ? "en" : "de",
            ["Year"] = i % 3 == 0 ? null : 2000 + i,
            ["When"] = when.AddDays(i),
            ["Day"] = new DateOnly(2026, 1, 1).AddDays(i),
            ["Id"] = new Guid(i, 1, 2, new byte[8]),
            ["Scores"] = new List<int> { i, i * 2 },
            ["Blob"] = new byte[] { (byte)i },
            ["Vector"] = new ReadOnlyMemory<float>([i, 0, 0]),
        }).ToList();
        await collection.UpsertAsync(records);

        var read = await collection.GetAsync("k4", new RecordRetrievalOptions { IncludeVectors = true });
        Assert.NotNull(read);
        Assert.Equal("k4", read["Key"]);
        Assert.Equal(2004, read["Year"]);
        Assert.Equal(when.AddDays(4), read["When"]);
        Assert.Equal(new DateOnly(2026, 1, 5), read["Day"]);
        Assert.Equal(new Guid(4, 1, 2, new byte[8]), read["Id"]);
        Assert.Equal(new List<int> { 4, 8 }, read["Scores"]);
        Assert.Equal(new byte[] { 4 }, read["Blob"]);
        Assert.Equal(new float[] { 4, 0, 0 }, ((ReadOnlyMemory<float>)read["Vector"]!).ToArray());

        // Euclidean distance: the score of k7 from (4.5, 0, 0) is 2.5.
        var after = when.AddDays(5);
        var hits = await collection.SearchAsync(new ReadOnlyMemory<float>([4.5f, 0, 0]), 3, new() { Filter = r => (string)r["Lang"]! == "de" && (DateTimeOffset)r["When"]! > after }).ToListAsync();
        Assert.Equal(["k7", "k9", "k11"], hits.Select(h => h.Record["Key"]));
        Assert.Equal(2.5, hits[0].Score!.Value, 5);

        var years = await collection.GetAsync(r => (int?)r["Year"] == null, 100).Select(r => (string)r["Key"]!).ToListAsync();
        Assert.Equal(records.Where(r => r["Year"] is null).Select(r => (string)r["Key"]!).Order(), years.Order());
        var withScore = await collection.GetAsync(r => ((List<int>)r["Scores"]!).Contains(10), 100).Select(r => (string)r["Key"]!).ToListAsync();
        Assert.Equal(["k10", "k5"], withScore.Order());
    }

    [Fact]
    public async Task Errors_are_clear()
    {
        using var store = new DiskAnnVectorStore(_db.ConnectionString);
        var hotels = store.GetCollection<int, Hotel>("hotels");

        // A collection that does not exist: SQLite's error, wrapped the abstractions' way.
        var missing = await Assert.ThrowsAsync<VectorStoreException>(() => hotels.UpsertAsync(Data.Hotels(1)));
        Assert.Contains("no such table", missing.Message);
        Assert.Equal("sqlite", missing.VectorStoreSystemName);
        Assert.Equal("Upsert", missing.OperationName);

        await hotels.EnsureCollectionExistsAsync();
        await hotels.UpsertAsync(Data.Hotels(10));

        var dimension = await Assert.ThrowsAsync<ArgumentException>(() => hotels.SearchAsync(new float[3], 1).ToListAsync().AsTask());
        Assert.Contains("3 dimensions", dimension.Message);
        Assert.Contains("declared with 8", dimension.Message);

        Expression<Func<Hotel, bool>> untranslatable = h => h.Description.StartsWith("quiet");
        var filter = await Assert.ThrowsAsync<NotSupportedException>(() => hotels.SearchAsync(new float[8], 1, new() { Filter = untranslatable }).ToListAsync().AsTask());
        Assert.Contains("cannot be translated", filter.Message);
        Expression<Func<Hotel, bool>> propertyToProperty = h => h.Rating == h.Stars;
        await Assert.ThrowsAsync<NotSupportedException>(() => hotels.GetAsync(propertyToProperty, 1).ToListAsync().AsTask());

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => hotels.SearchAsync(new float[8], 10001).ToListAsync().AsTask());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => hotels.SearchAsync(new float[8], 0).ToListAsync().AsTask());
        await Assert.ThrowsAsync<NotSupportedException>(() => hotels.SearchAsync(42, 1).ToListAsync().AsTask());
        Assert.Throws<ArgumentException>(() => store.GetCollection<string, Dictionary<string, object?>>("x"));
    }

    [Fact]
    public void Filters_on_index_columns_go_into_the_search_and_the_rest_through_the_data_table()
    {
        var model = new DiskAnnModelBuilder().Build(typeof(Hotel), typeof(int), null, null);
        var schema = new CollectionSchema("hotels", model);
        var parameters = new List<KeyValuePair<string, object>>();
        Expression<Func<Hotel, bool>> filter = h => h.Lang == "en" && h.Price < 20 && h.Stars > 3 && new[] { 1, 2 }.Contains(h.Rating) && !h.Open;
        var split = FilterTranslator.TranslateForIndex(filter, schema, parameters);
        Assert.Equal("(\"Lang\" = @f0) AND (\"Price\" < @f1) AND (\"Rating\" IN (@f3, @f4)) AND \"Open\" = 0", split.Pushed);
        Assert.Equal("(d.\"Stars\" > @f2)", split.Residual);
        Assert.Equal(["en", 20.0, 3, 1, 2], parameters.Select(p => p.Value));
    }

    [Fact]
    public async Task Dependency_injection_registers_the_store_and_collections()
    {
        var generator = new FakeEmbeddingGenerator(Hotel.Dimensions);
        var services = new ServiceCollection();
        services.AddSingleton<IEmbeddingGenerator>(generator);
        services.AddDiskAnnVectorStore(_db.ConnectionString);
        services.AddDiskAnnCollection<int, Hotel>("hotels", _db.ConnectionString);
        services.AddKeyedDiskAnnVectorStore("other", _ => _db.ConnectionString);
        using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<VectorStore>();
        Assert.IsType<DiskAnnVectorStore>(store);
        Assert.Same(store, provider.GetRequiredService<DiskAnnVectorStore>());
        Assert.IsType<DiskAnnVectorStore>(provider.GetRequiredKeyedService<VectorStore>("other"));

        var collection = provider.GetRequiredService<VectorStoreCollection<int, Hotel>>();
        Assert.Same(collection, provider.GetRequiredService<IVectorSearchable<Hotel>>());
        Assert.Same(collection, provider.GetRequiredService<IKeywordHybridSearchable<Hotel>>());
        await collection.EnsureCollectionExistsAsync();
        var hotels = Data.Hotels(5);
        hotels[2].Embedding = generator.Embed("by the sea");
        await collection.UpsertAsync(hotels);

        // The container's generator embeds the text.
        Assert.Equal(3, (await collection.SearchAsync("by the sea", 1).SingleAsync()).Record.Id);
        Assert.Equal(["hotels"], await store.ListCollectionNamesAsync().ToListAsync());
        var metadata = (VectorStoreCollectionMetadata)collection.GetService(typeof(VectorStoreCollectionMetadata))!;
        Assert.Equal("hotels", metadata.CollectionName);
        Assert.Equal("sqlite", metadata.VectorStoreSystemName);
        Assert.Equal(_db.Path, metadata.VectorStoreName);
    }

    [Fact]
    public async Task A_connection_factory_replaces_the_connection_string()
    {
        var opened = 0;
        using var store = new DiskAnnVectorStore(new DiskAnnVectorStoreOptions
        {
            ConnectionFactory = () =>
            {
                Interlocked.Increment(ref opened);
                return new Microsoft.Data.Sqlite.SqliteConnection(_db.ConnectionString);
            },
        });
        var hotels = store.GetCollection<int, Hotel>("hotels");
        await hotels.EnsureCollectionExistsAsync();
        await hotels.UpsertAsync(Data.Hotels(5));
        for (var i = 0; i < 20; i++)
        {
            Assert.Single(await hotels.SearchAsync(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 1).ToListAsync());
        }

        // One probe for the metadata, then the pooled connection is reused.
        Assert.True(opened <= 3, $"{opened} connections");
    }
}
