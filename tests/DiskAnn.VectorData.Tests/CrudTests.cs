using Microsoft.Data.Sqlite;
using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData.Tests;

public sealed class CrudTests : IDisposable
{
    private readonly TempDatabase _db = new();
    private readonly DiskAnnVectorStore _store;

    public CrudTests() => _store = new DiskAnnVectorStore(_db.ConnectionString);

    public void Dispose()
    {
        _store.Dispose();
        _db.Dispose();
    }

    [Fact]
    public async Task Upsert_get_update_delete_one()
    {
        var hotels = _store.GetCollection<int, Hotel>("hotels");
        Assert.False(await hotels.CollectionExistsAsync());
        await hotels.EnsureCollectionExistsAsync();
        await hotels.EnsureCollectionExistsAsync(); // idempotent
        Assert.True(await hotels.CollectionExistsAsync());

        var hotel = Data.Hotels(1)[0];
        await hotels.UpsertAsync(hotel);
        var read = await hotels.GetAsync(1, new RecordRetrievalOptions { IncludeVectors = true });
        AssertSame(hotel, read!, withVector: true);

        var withoutVector = await hotels.GetAsync(1);
        Assert.Null(withoutVector!.Embedding);

        hotel.Lang = "xx";
        hotel.Tags = ["new"];
        hotel.Embedding = new float[] { 1, 0, 0, 0, 0, 0, 0, 0 };
        await hotels.UpsertAsync(hotel);
        read = await hotels.GetAsync(1, new RecordRetrievalOptions { IncludeVectors = true });
        AssertSame(hotel, read!, withVector: true);

        // The index sees the new vector and the new filter value.
        var hit = await hotels.SearchAsync(new float[] { 1, 0, 0, 0, 0, 0, 0, 0 }, 1, new() { Filter = h => h.Lang == "xx" }).SingleAsync();
        Assert.Equal(1, hit.Record.Id);
        Assert.Equal(0, hit.Score!.Value, 5);

        await hotels.DeleteAsync(1);
        Assert.Null(await hotels.GetAsync(1));
        Assert.Empty(await hotels.SearchAsync(new float[] { 1, 0, 0, 0, 0, 0, 0, 0 }, 5).ToListAsync());
        await hotels.DeleteAsync(1); // deleting a missing key is not an error
    }

    [Fact]
    public async Task Batches_upsert_get_delete_many_in_one_transaction()
    {
        var hotels = _store.GetCollection<int, Hotel>("hotels");
        await hotels.EnsureCollectionExistsAsync();
        var all = Data.Hotels(200);
        await hotels.UpsertAsync(all);

        var some = await hotels.GetAsync([5, 17, 199, 1000], new RecordRetrievalOptions { IncludeVectors = true }).ToListAsync();
        Assert.Equal([5, 17, 199], some.Select(h => h.Id).Order());
        foreach (var h in some)
        {
            AssertSame(all[h.Id - 1], h, withVector: true);
        }

        Assert.Empty(await hotels.GetAsync(Array.Empty<int>()).ToListAsync());

        await hotels.DeleteAsync([5, 17, 1000]);
        Assert.Equal([199], (await hotels.GetAsync([5, 17, 199]).ToListAsync()).Select(h => h.Id));

        // A batch with one bad record stores nothing: the whole batch is one transaction.
        var bad = Data.Hotels(3, seed: 99);
        foreach (var h in bad)
        {
            h.Id += 1000;
        }

        bad[2].Embedding = new float[3];
        var error = await Assert.ThrowsAsync<ArgumentException>(() => hotels.UpsertAsync(bad));
        Assert.Contains("3 dimensions", error.Message);
        Assert.Empty(await hotels.GetAsync([1001, 1002, 1003]).ToListAsync());

        // A failure inside SQLite (here the module refusing a NaN) rolls the batch back too.
        bad[2].Embedding = Enumerable.Repeat(float.NaN, Hotel.Dimensions).ToArray();
        var sqlError = await Assert.ThrowsAsync<VectorStoreException>(() => hotels.UpsertAsync(bad));
        Assert.IsType<SqliteException>(sqlError.InnerException);
        Assert.Equal("hotels", sqlError.CollectionName);
        Assert.Equal("Upsert", sqlError.OperationName);
        Assert.Empty(await hotels.GetAsync([1001, 1002, 1003]).ToListAsync());
    }

    [Fact]
    public async Task A_record_without_a_vector_is_stored_and_not_found_by_search()
    {
        var hotels = _store.GetCollection<int, Hotel>("hotels");
        await hotels.EnsureCollectionExistsAsync();
        var all = Data.Hotels(3);
        all[1].Embedding = null;
        await hotels.UpsertAsync(all);
        Assert.NotNull(await hotels.GetAsync(2));
        var found = await hotels.SearchAsync(all[0].Embedding!.Value, 10).ToListAsync();
        Assert.Equal([1, 3], found.Select(r => r.Record.Id).Order());

        // Setting the vector later puts the record in the index; removing it again takes it out.
        all[1].Embedding = all[0].Embedding;
        await hotels.UpsertAsync(all[1]);
        Assert.Equal(3, (await hotels.SearchAsync(all[0].Embedding!.Value, 10).ToListAsync()).Count);
        all[1].Embedding = null;
        await hotels.UpsertAsync(all[1]);
        Assert.Equal(2, (await hotels.SearchAsync(all[0].Embedding!.Value, 10).ToListAsync()).Count);
    }

    [Fact]
    public async Task Plain_sql_on_the_data_table_keeps_the_index_and_full_text_in_step()
    {
        var hotels = _store.GetCollection<int, Hotel>("hotels");
        await hotels.EnsureCollectionExistsAsync();
        var all = Data.Hotels(20);
        await hotels.UpsertAsync(all);

        _db.Execute("UPDATE hotels SET Lang = 'zz', Description = 'renamed' WHERE Id = 3; DELETE FROM hotels WHERE Id = 4;");

        var hit = await hotels.SearchAsync(all[2].Embedding!.Value, 1, new() { Filter = h => h.Lang == "zz" }).SingleAsync();
        Assert.Equal(3, hit.Record.Id);
        Assert.DoesNotContain(4, (await hotels.SearchAsync(all[3].Embedding!.Value, 20).ToListAsync()).Select(r => r.Record.Id));
        var hybrid = await ((IKeywordHybridSearchable<Hotel>)hotels).HybridSearchAsync(all[10].Embedding!.Value, ["renamed"], 20).ToListAsync();
        Assert.Contains(3, hybrid.Select(r => r.Record.Id));
    }

    [Fact]
    public async Task Collections_are_listed_and_deleted_through_the_store()
    {
        var a = _store.GetCollection<int, Hotel>("a");
        var b = _store.GetCollection<int, Hotel>("b_with__underscores");
        await a.EnsureCollectionExistsAsync();
        await b.EnsureCollectionExistsAsync();
        await a.UpsertAsync(Data.Hotels(5));

        // Only the collections: not the index, FTS5 or shadow tables beside them.
        Assert.Equal(["a", "b_with__underscores"], await _store.ListCollectionNamesAsync().ToListAsync());
        Assert.True(await _store.CollectionExistsAsync("a"));

        await _store.EnsureCollectionDeletedAsync("a");
        Assert.False(await _store.CollectionExistsAsync("a"));
        Assert.Equal(["b_with__underscores"], await _store.ListCollectionNamesAsync().ToListAsync());
        await b.EnsureCollectionDeletedAsync();
        await b.EnsureCollectionDeletedAsync(); // idempotent

        using var connection = new SqliteConnection(_db.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master";
        Assert.Equal(0L, command.ExecuteScalar());

        // Recreated empty.
        await a.EnsureCollectionExistsAsync();
        Assert.Null(await a.GetAsync(1));
    }

    internal static void AssertSame(Hotel expected, Hotel actual, bool withVector)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Lang, actual.Lang);
        Assert.Equal(expected.Rating, actual.Rating);
        Assert.Equal(expected.Price, actual.Price);
        Assert.Equal(expected.Open, actual.Open);
        Assert.Equal(expected.Code, actual.Code);
        Assert.Equal(expected.Stars, actual.Stars);
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected.Description, actual.Description);
        if (withVector)
        {
            Assert.Equal(expected.Embedding!.Value.ToArray(), actual.Embedding!.Value.ToArray());
        }
    }
}
