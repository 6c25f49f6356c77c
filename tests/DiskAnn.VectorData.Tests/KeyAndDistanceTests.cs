using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData.Tests;

public sealed class KeyAndDistanceTests : IDisposable
{
    private readonly TempDatabase _db = new();
    private readonly DiskAnnVectorStore _store;

    public KeyAndDistanceTests() => _store = new DiskAnnVectorStore(_db.ConnectionString, new DiskAnnVectorStoreOptions { SearchListSize = 500 });

    public void Dispose()
    {
        _store.Dispose();
        _db.Dispose();
    }

    public static TheoryData<string, string> Functions() => new()
    {
        { DistanceFunction.CosineDistance, IndexKind.DiskAnn },
        { DistanceFunction.EuclideanDistance, IndexKind.DiskAnn },
        { DistanceFunction.NegativeDotProductSimilarity, IndexKind.DiskAnn },
        { DistanceFunction.CosineDistance, IndexKind.Flat },
        { DistanceFunction.EuclideanDistance, IndexKind.Flat },
        { DistanceFunction.NegativeDotProductSimilarity, IndexKind.Flat },
    };

    [Theory]
    [MemberData(nameof(Functions))]
    public async Task Each_distance_function_ranks_and_scores_as_the_abstractions_define(string function, string kind)
    {
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty("Id", typeof(int)),
                new VectorStoreDataProperty("Group", typeof(int)) { IsIndexed = true },
                new VectorStoreVectorProperty("Vector", typeof(float[]), 16) { DistanceFunction = function, IndexKind = kind },
            ],
        };
        var collection = _store.GetDynamicCollection("d", definition);
        await collection.EnsureCollectionExistsAsync();
        var random = new Random(3);
        var records = Enumerable.Range(1, 300).Select(i => new Dictionary<string, object?>
        {
            ["Id"] = i,
            ["Group"] = i % 3,
            ["Vector"] = Data.RandomVector(random, 16).Select(x => x * (float)(0.5 + random.NextDouble())).ToArray(),
        }).ToList();
        await collection.UpsertAsync(records);

        var query = Data.RandomVector(random, 16);
        var expected = records.Where(r => (int)r["Group"]! == 1)
            .Select(r => (Id: (int)r["Id"]!, Score: Data.Distance(function, query, (float[])r["Vector"]!)))
            .OrderBy(x => x.Score).Take(10).ToList();
        var actual = await collection.SearchAsync(query, 10, new() { Filter = r => (int)r["Group"]! == 1 }).ToListAsync();
        Assert.Equal(expected.Select(e => e.Id), actual.Select(r => Convert.ToInt32(r.Record["Id"])));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Score, actual[i].Score!.Value, 3);
        }

        // The threshold keeps scores at most the threshold for all three (each is a distance: smaller is nearer).
        var threshold = expected[2].Score + 1e-5;
        var within = await collection.SearchAsync(query, 10, new() { Filter = r => (int)r["Group"]! == 1, ScoreThreshold = threshold }).ToListAsync();
        Assert.Equal(expected.Take(3).Select(e => e.Id), within.Select(r => Convert.ToInt32(r.Record["Id"])));
    }

    [Theory]
    [InlineData(DistanceFunction.CosineSimilarity)]
    [InlineData(DistanceFunction.DotProductSimilarity)]
    [InlineData(DistanceFunction.EuclideanSquaredDistance)]
    [InlineData(DistanceFunction.ManhattanDistance)]
    [InlineData(DistanceFunction.HammingDistance)]
    public void Other_distance_functions_are_refused_naming_the_supported_ones(string function)
    {
        var definition = new VectorStoreCollectionDefinition
        {
            Properties = [new VectorStoreKeyProperty("Id", typeof(int)), new VectorStoreVectorProperty("V", typeof(float[]), 4) { DistanceFunction = function }],
        };
        var error = Assert.Throws<NotSupportedException>(() => _store.GetDynamicCollection("x", definition));
        Assert.Contains(function, error.Message);
        Assert.Contains("CosineDistance, EuclideanDistance and NegativeDotProductSimilarity", error.Message);
    }

    [Fact]
    public void Other_index_kinds_are_refused_naming_the_supported_ones()
    {
        var definition = new VectorStoreCollectionDefinition
        {
            Properties = [new VectorStoreKeyProperty("Id", typeof(int)), new VectorStoreVectorProperty("V", typeof(float[]), 4) { IndexKind = IndexKind.Hnsw }],
        };
        var error = Assert.Throws<NotSupportedException>(() => _store.GetDynamicCollection("x", definition));
        Assert.Contains("DiskAnn", error.Message);
        Assert.Contains("Flat", error.Message);
    }

    [Fact]
    public async Task Long_keys()
        => await RoundTrip(_store.GetCollection<long, LongRecord>("longs"), i => new LongRecord { Key = (1L << 40) + i, Name = "n" + (i % 2), Vector = Vector(i) }, r => r.Key, r => r.Vector, r => r.Name == "n1");

    [Fact]
    public async Task String_keys()
        => await RoundTrip(_store.GetCollection<string, StringRecord>("strings"), i => new StringRecord { Key = "key-" + i, Name = "n" + (i % 2), Vector = new Embedding<float>(Vector(i)) }, r => r.Key, r => r.Vector!.Vector.ToArray(), r => r.Name == "n1");

    [Fact]
    public async Task Guid_keys()
        => await RoundTrip(_store.GetCollection<Guid, GuidRecord>("guids"), i => new GuidRecord { Key = new Guid(i, 0, 0, new byte[8]), Name = "n" + (i % 2), Vector = Vector(i) }, r => r.Key, r => r.Vector.ToArray(), r => r.Name == "n1");

    [Fact]
    public async Task String_keys_keep_their_rows_through_vacuum()
    {
        // The index refers to data rows by rowid; the data table's rowid is an INTEGER PRIMARY KEY, which VACUUM keeps.
        var collection = _store.GetCollection<string, StringRecord>("strings");
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(Enumerable.Range(1, 50).Select(i => new StringRecord { Key = "k" + i, Name = "x", Vector = new Embedding<float>(Vector(i)) }));
        await collection.DeleteAsync(Enumerable.Range(1, 25).Select(i => "k" + i));
        _db.Execute("VACUUM");

        for (var i = 26; i <= 50; i += 6)
        {
            var hit = await collection.SearchAsync(Vector(i), 1).SingleAsync();
            Assert.Equal("k" + i, hit.Record.Key);
        }
    }

    [Fact]
    public void Unsupported_key_and_property_types_are_refused()
    {
        Assert.Throws<NotSupportedException>(() => _store.GetCollection<DateTime, Hotel>("x"));
        var definition = new VectorStoreCollectionDefinition
        {
            Properties = [new VectorStoreKeyProperty("Id", typeof(int)), new VectorStoreDataProperty("Money", typeof(decimal)), new VectorStoreVectorProperty("V", typeof(float[]), 4)],
        };
        var error = Assert.ThrowsAny<Exception>(() => _store.GetDynamicCollection("x", definition));
        Assert.Contains("Money", error.Message);
        var vectorType = new VectorStoreCollectionDefinition
        {
            Properties = [new VectorStoreKeyProperty("Id", typeof(int)), new VectorStoreVectorProperty("V", typeof(double[]), 4)],
        };
        Assert.ThrowsAny<Exception>(() => _store.GetDynamicCollection("x", vectorType));
    }

    /// <summary>Vectors that are orthogonal-ish and distinct: record i is nearest to itself.</summary>
    private static float[] Vector(int i)
    {
        var random = new Random(i);
        return Data.RandomVector(random, 4);
    }

    private static async Task RoundTrip<TKey, TRecord>(VectorStoreCollection<TKey, TRecord> collection, Func<int, TRecord> make, Func<TRecord, TKey> key, Func<TRecord, float[]?> vector, System.Linq.Expressions.Expression<Func<TRecord, bool>> filter)
        where TKey : notnull
        where TRecord : class
    {
        await collection.EnsureCollectionExistsAsync();
        var records = Enumerable.Range(1, 40).Select(make).ToList();
        await collection.UpsertAsync(records);
        var one = await collection.GetAsync(key(records[4]), new RecordRetrievalOptions { IncludeVectors = true });
        Assert.Equal(key(records[4]), key(one!));
        Assert.Equal(vector(records[4]), vector(one!));

        var many = await collection.GetAsync(records.Take(5).Select(key)).ToListAsync();
        Assert.Equal(records.Take(5).Select(key).Order(), many.Select(key).Order());

        // records[6] is record 7, whose Name is "n1".
        var hit = await collection.SearchAsync(vector(records[6])!, 1, new() { Filter = filter }).SingleAsync();
        Assert.Equal(key(records[6]), key(hit.Record));
        Assert.NotEqual(key(records[7]), key((await collection.SearchAsync(vector(records[7])!, 1, new() { Filter = filter }).SingleAsync()).Record));

        await collection.DeleteAsync(key(records[7]));
        Assert.Null(await collection.GetAsync(key(records[7])));
        Assert.NotEqual(key(records[7]), key((await collection.SearchAsync(vector(records[7])!, 1).SingleAsync()).Record));
        await collection.DeleteAsync(records.Skip(10).Select(key));
        Assert.Equal(9, (await collection.SearchAsync(vector(records[0])!, 40).ToListAsync()).Count);
    }
}
