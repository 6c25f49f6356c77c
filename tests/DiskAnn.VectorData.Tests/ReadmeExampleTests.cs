using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData.Tests;

/// <summary>The README's example, as written there (the database path aside), with its printed output checked.</summary>
public sealed class ReadmeExampleTests : IDisposable
{
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    public sealed class Doc
    {
        [VectorStoreKey] public int Id { get; set; }
        [VectorStoreData(IsIndexed = true)] public string Lang { get; set; } = "";
        [VectorStoreData(IsFullTextIndexed = true)] public string Text { get; set; } = "";
        [VectorStoreVector(3, DistanceFunction = DistanceFunction.CosineDistance, IndexKind = IndexKind.DiskAnn)]
        public ReadOnlyMemory<float> Embedding { get; set; }
    }

    [Fact]
    public async Task The_readme_example_prints_what_the_readme_says()
    {
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            using var store = new DiskAnnVectorStore(_db.ConnectionString);
            var docs = store.GetCollection<int, Doc>("docs");
            await docs.EnsureCollectionExistsAsync();
            await docs.UpsertAsync([
                new Doc { Id = 1, Lang = "en", Text = "the cat sat on the mat", Embedding = new float[] { 1, 0, 0 } },
                new Doc { Id = 2, Lang = "de", Text = "der Hund bellt", Embedding = new float[] { 0.9f, 0.1f, 0 } },
                new Doc { Id = 3, Lang = "en", Text = "a dog barks", Embedding = new float[] { 0, 1, 0 } },
            ]);

            await foreach (var hit in docs.SearchAsync(new float[] { 1, 0, 0 }, top: 2, new() { Filter = d => d.Lang == "en" }))
            {
                Console.WriteLine($"{hit.Record.Id} {hit.Score:F3}");
            }

            await foreach (var hit in ((IKeywordHybridSearchable<Doc>)docs).HybridSearchAsync(new float[] { 1, 0, 0 }, ["dog"], top: 2))
            {
                Console.WriteLine($"{hit.Record.Id} {hit.Score:F4}");
            }
        }
        finally
        {
            Console.SetOut(console);
        }

        Assert.Equal("1 0.000\n3 1.000\n3 0.0323\n1 0.0164\n", output.ToString().Replace("\r\n", "\n"));
    }
}
