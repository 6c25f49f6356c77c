using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData.Tests;

public sealed class HybridAndEmbeddingTests : IDisposable
{
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    public sealed class Article
    {
        [VectorStoreKey]
        public string Id { get; set; } = "";

        [VectorStoreData(IsIndexed = true)]
        public string Section { get; set; } = "";

        [VectorStoreData(IsFullTextIndexed = true)]
        public string Title { get; set; } = "";

        [VectorStoreData(IsFullTextIndexed = true)]
        public string Body { get; set; } = "";

        /// <summary>Embedded from the text by the store's generator on upsert.</summary>
        [VectorStoreVector(16)]
        public string Embedding { get; set; } = "";
    }

    private static List<Article> Articles() =>
    [
        new() { Id = "a", Section = "pets", Title = "cats", Body = "cats purr and sleep", Embedding = "cats purr and sleep" },
        new() { Id = "b", Section = "pets", Title = "dogs", Body = "dogs bark and run", Embedding = "dogs bark and run" },
        new() { Id = "c", Section = "tech", Title = "compilers", Body = "compilers parse code", Embedding = "compilers parse code" },
        new() { Id = "d", Section = "tech", Title = "databases", Body = "databases store rows zebra", Embedding = "databases store rows" },
        new() { Id = "e", Section = "food", Title = "bread", Body = "bread needs yeast", Embedding = "bread needs yeast" },
        new() { Id = "f", Section = "pets", Title = "kittens", Body = "kittens are young cats", Embedding = "kittens are young cats" },
    ];

    [Fact]
    public async Task String_vector_properties_and_search_values_are_embedded_by_the_generator()
    {
        var generator = new FakeEmbeddingGenerator(16);
        using var store = new DiskAnnVectorStore(_db.ConnectionString, new DiskAnnVectorStoreOptions { EmbeddingGenerator = generator });
        var articles = store.GetCollection<string, Article>("articles");
        await articles.EnsureCollectionExistsAsync();
        await articles.UpsertAsync(Articles());
        Assert.Equal(1, generator.Calls); // one batch for the whole upsert

        var query = "cats purr and sleep";
        var expected = Articles().OrderBy(a => Data.Distance(DistanceFunction.CosineDistance, generator.Embed(query), generator.Embed(a.Embedding))).Select(a => a.Id).Take(3);
        var results = await articles.SearchAsync(query, 3).ToListAsync();
        Assert.Equal(expected, results.Select(r => r.Record.Id));
        Assert.Equal(0, results[0].Score!.Value, 5);

        // The vector is not the record's property, so it cannot be returned.
        await Assert.ThrowsAsync<NotSupportedException>(() => articles.SearchAsync(query, 3, new() { IncludeVectors = true }).ToListAsync().AsTask());
    }

    [Fact]
    public async Task A_vector_property_searched_with_text_uses_the_generator_for_the_search_value_only()
    {
        var generator = new FakeEmbeddingGenerator(Hotel.Dimensions);
        using var store = new DiskAnnVectorStore(_db.ConnectionString, new DiskAnnVectorStoreOptions { EmbeddingGenerator = generator });
        var hotels = store.GetCollection<int, Hotel>("hotels");
        await hotels.EnsureCollectionExistsAsync();
        var all = Data.Hotels(30);
        all[9].Embedding = generator.Embed("river view");
        await hotels.UpsertAsync(all);
        Assert.Equal(0, generator.Calls);
        var hit = await hotels.SearchAsync("river view", 1).SingleAsync();
        Assert.Equal(10, hit.Record.Id);

        using var plain = new DiskAnnVectorStore(_db.ConnectionString);
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => plain.GetCollection<int, Hotel>("hotels").SearchAsync("river view", 1).ToListAsync().AsTask());
        Assert.Contains("IEmbeddingGenerator", error.Message);
    }

    [Fact]
    public async Task Hybrid_search_fuses_keyword_and_vector_ranks()
    {
        var generator = new FakeEmbeddingGenerator(16);
        using var store = new DiskAnnVectorStore(_db.ConnectionString, new DiskAnnVectorStoreOptions { EmbeddingGenerator = generator });
        var articles = store.GetCollection<string, Article>("articles");
        await articles.EnsureCollectionExistsAsync();
        await articles.UpsertAsync(Articles());
        var hybrid = (IKeywordHybridSearchable<Article>)articles;

        // "zebra" is only in d's body (not in its embedded text): the keyword leg finds it though the vector leg ranks it low.
        var options = new HybridSearchOptions<Article> { AdditionalProperty = a => a.Body };
        var results = await hybrid.HybridSearchAsync("cats purr and sleep", ["zebra"], 6, options).ToListAsync();
        // Every article is among the vector leg's candidates, so d scores in both lists and comes first, then a (first of the vector leg only).
        Assert.Equal(["d", "a"], results.Take(2).Select(r => r.Record.Id));
        var d = results[0];
        var vectorRankOfD = Articles().OrderBy(x => Data.Distance(DistanceFunction.CosineDistance, generator.Embed("cats purr and sleep"), generator.Embed(x.Embedding))).ToList().FindIndex(x => x.Id == "d") + 1;
        Assert.Equal((1.0 / (60 + 1)) + (1.0 / (60 + vectorRankOfD)), d.Score!.Value, 9);
        Assert.Equal(1.0 / 61, results[1].Score!.Value, 9);
        Assert.Equal(results.Select(r => r.Score).OrderDescending(), results.Select(r => r.Score));

        // A keyword-only match is found even when top is small.
        var top1 = await hybrid.HybridSearchAsync("cats purr and sleep", ["zebra"], 1, options).ToListAsync();
        Assert.Equal("d", top1.Single().Record.Id);

        // The filter applies to both legs.
        var filtered = await hybrid.HybridSearchAsync("cats purr and sleep", ["zebra"], 6, new() { AdditionalProperty = a => a.Body, Filter = a => a.Section == "pets" }).ToListAsync();
        Assert.Equal(["a", "b", "f"], filtered.Select(r => r.Record.Id).Order());

        // The threshold keeps fused scores at least the threshold: here the records found by both legs.
        var both = await hybrid.HybridSearchAsync("cats purr and sleep", ["cats"], 6, new() { AdditionalProperty = a => a.Body, ScoreThreshold = 1.0 / 61 + 1.0 / 66 }).ToListAsync();
        Assert.Equal(["a", "f"], both.Select(r => r.Record.Id).Order());

        // Skip pages through the fused ranking.
        var all = await hybrid.HybridSearchAsync("cats purr and sleep", ["cats"], 6, new() { AdditionalProperty = a => a.Body }).ToListAsync();
        var page = await hybrid.HybridSearchAsync("cats purr and sleep", ["cats"], 2, new() { AdditionalProperty = a => a.Body, Skip = 2 }).ToListAsync();
        Assert.Equal(all.Skip(2).Take(2).Select(r => r.Record.Id), page.Select(r => r.Record.Id));

        // The full-text property chooses the column: "kittens" is in f's title.
        var byTitle = await hybrid.HybridSearchAsync("bread needs yeast", ["kittens"], 2, new() { AdditionalProperty = a => a.Title }).ToListAsync();
        Assert.Contains("f", byTitle.Select(r => r.Record.Id));

        // Keywords with FTS5 syntax are text, not syntax.
        _ = await hybrid.HybridSearchAsync("x", ["\"unbalanced", "OR", "NEAR(", "*"], 3, options).ToListAsync();

        // Two full-text properties and none named: the abstractions' error.
        await Assert.ThrowsAnyAsync<Exception>(() => hybrid.HybridSearchAsync("x", ["cats"], 3).ToListAsync().AsTask());
    }
}
