using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData.Tests;

public sealed class StoreTests : IDisposable
{
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    public sealed class TwoVectors
    {
        [VectorStoreKey]
        public int Id { get; set; }

        [VectorStoreData(IsIndexed = true)]
        public int Group { get; set; }

        [VectorStoreVector(4, DistanceFunction = DistanceFunction.EuclideanDistance)]
        public float[]? Title { get; set; }

        [VectorStoreVector(3, DistanceFunction = DistanceFunction.NegativeDotProductSimilarity, IndexKind = IndexKind.Flat)]
        public float[]? Body { get; set; }
    }

    [Fact]
    public async Task Each_vector_property_has_its_own_index_and_is_chosen_by_VectorProperty()
    {
        using var store = new DiskAnnVectorStore(_db.ConnectionString);
        var collection = store.GetCollection<int, TwoVectors>("two");
        await collection.EnsureCollectionExistsAsync();
        var random = new Random(5);
        var records = Enumerable.Range(1, 60).Select(i => new TwoVectors { Id = i, Group = i % 4, Title = Data.RandomVector(random, 4), Body = Data.RandomVector(random, 3) }).ToList();
        await collection.UpsertAsync(records);

        var titleQuery = Data.RandomVector(random, 4);
        var bodyQuery = Data.RandomVector(random, 3);
        var byTitle = await collection.SearchAsync(titleQuery, 5, new() { VectorProperty = r => r.Title, Filter = r => r.Group == 2 }).ToListAsync();
        var byBody = await collection.SearchAsync(bodyQuery, 5, new() { VectorProperty = r => r.Body, Filter = r => r.Group == 2 }).ToListAsync();
        Assert.Equal(
            records.Where(r => r.Group == 2).OrderBy(r => Data.Distance(DistanceFunction.EuclideanDistance, titleQuery, r.Title)).Take(5).Select(r => r.Id),
            byTitle.Select(r => r.Record.Id));
        Assert.Equal(
            records.Where(r => r.Group == 2).OrderBy(r => Data.Distance(DistanceFunction.NegativeDotProductSimilarity, bodyQuery, r.Body)).Take(5).Select(r => r.Id),
            byBody.Select(r => r.Record.Id));

        // Without VectorProperty the abstractions refuse to guess between two.
        await Assert.ThrowsAnyAsync<Exception>(() => collection.SearchAsync(titleQuery, 5).ToListAsync().AsTask());

        var read = await collection.GetAsync(7, new RecordRetrievalOptions { IncludeVectors = true });
        Assert.Equal(records[6].Title, read!.Title);
        Assert.Equal(records[6].Body, read.Body);
    }

    [Fact]
    public async Task An_in_memory_database_lives_on_one_connection_for_the_store()
    {
        using var store = new DiskAnnVectorStore("Data Source=:memory:");
        var hotels = store.GetCollection<int, Hotel>("hotels");
        await hotels.EnsureCollectionExistsAsync();
        var all = Data.Hotels(50);
        await hotels.UpsertAsync(all);
        Assert.True(await store.CollectionExistsAsync("hotels"));

        // Concurrent operations take turns on the one connection.
        var searches = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            (await hotels.SearchAsync(all[i].Embedding!.Value, 1).SingleAsync()).Record.Id));
        Assert.Equal(Enumerable.Range(1, 8), await Task.WhenAll(searches));

        // A failed operation does not lose the database.
        await Assert.ThrowsAsync<ArgumentException>(() => hotels.UpsertAsync(new Hotel { Id = 99, Embedding = new float[2] }));
        Assert.NotNull(await hotels.GetAsync(3));
    }

    [Fact]
    public async Task A_cancelled_token_cancels_before_any_work()
    {
        using var store = new DiskAnnVectorStore(_db.ConnectionString);
        var hotels = store.GetCollection<int, Hotel>("hotels");
        await hotels.EnsureCollectionExistsAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hotels.UpsertAsync(Data.Hotels(2), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hotels.SearchAsync(new float[8], 1, cancellationToken: cancelled.Token).ToListAsync().AsTask());
        Assert.Null(await hotels.GetAsync(1));
    }
}
