using System.Linq.Expressions;
using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData.Tests;

/// <summary>
/// Every filter operator and combination, through SearchAsync (diskann index and Flat scan) and GetAsync, against the
/// exact answer: the filter compiled and run over the records in memory, distances by brute force. The candidate list
/// is larger than the collection, so the graph search is exhaustive and its answer must be exact too.
/// </summary>
public sealed class FilterTests : IClassFixture<FilterTests.Fixture>
{
    private const int K = 10;
    private readonly Fixture _fixture;

    public FilterTests(Fixture fixture) => _fixture = fixture;

    public static TheoryData<string> Names() => [.. Filters.Keys];

    private static readonly string CapturedLang = "de";
    private static readonly List<int> CapturedRatings = [1, 5];
    private static readonly string?[] NoLangs = [];

    private static readonly Dictionary<string, Expression<Func<Hotel, bool>>> Filters = new()
    {
        ["== string"] = h => h.Lang == "en",
        ["!= string (null rows pass, as in C#)"] = h => h.Lang != "en",
        ["== null"] = h => h.Lang == null,
        ["!= null"] = h => h.Lang != null,
        ["== captured variable"] = h => h.Lang == CapturedLang,
        ["< int"] = h => h.Rating < 3,
        ["<= int"] = h => h.Rating <= 3,
        ["> int"] = h => h.Rating > 3,
        [">= int"] = h => h.Rating >= 3,
        ["!= int"] = h => h.Rating != 3,
        ["value on the left"] = h => 3 < h.Rating,
        ["range of double"] = h => h.Price >= 100 && h.Price < 200,
        ["bool"] = h => h.Open,
        ["!bool"] = h => !h.Open,
        ["bool == false"] = h => h.Open == false,
        ["nullable long =="] = h => h.Code == 7,
        ["nullable long !="] = h => h.Code != 7,
        ["nullable long >"] = h => h.Code > 25,
        ["nullable long == null"] = h => h.Code == null,
        ["!(nullable >) (null rows pass)"] = h => !(h.Code > 25),
        ["!(int >)"] = h => !(h.Rating > 3),
        ["!(a && b)"] = h => !(h.Open && h.Rating > 2),
        ["Contains on an inline array"] = h => new[] { "en", "fr" }.Contains(h.Lang),
        ["Contains on a captured list"] = h => CapturedRatings.Contains(h.Rating),
        ["Contains with null"] = h => new[] { "en", null }.Contains(h.Lang),
        ["Contains on an empty array"] = h => NoLangs.Contains(h.Lang),
        ["!Contains"] = h => !new[] { "en", "fr" }.Contains(h.Lang),
        ["array property Contains"] = h => h.Tags.Contains("spa"),
        ["|| across columns"] = h => h.Lang == "en" || h.Rating == 5,
        ["non-indexed property"] = h => h.Stars > 3,
        ["non-indexed !="] = h => h.Stars != 3,
        ["pushed && residual"] = h => h.Lang == "en" && h.Stars >= 2 && h.Open,
        ["(a || b) && c && !array"] = h => (h.Lang == "en" || h.Lang == "de") && h.Price < 150 && !h.Tags.Contains("bar"),
        ["key"] = h => h.Id > 250,
        ["selective"] = h => h.Rating == 5 && h.Lang == "fr" && h.Code < 10,
        ["nothing passes"] = h => h.Rating == 6,
        ["text equality on a full-text property"] = h => h.Description == "quiet central hotel number 5",
    };

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Search_returns_the_exact_k_nearest_that_pass(string name)
    {
        var filter = Filters[name];
        var passes = filter.Compile();
        var query = _fixture.Query;
        var expected = _fixture.Hotels.Where(passes)
            .Select(h => (h.Id, Distance: Data.Distance(DistanceFunction.CosineDistance, query, h.Embedding!.Value.Span)))
            .OrderBy(x => x.Distance).Take(K).ToList();

        foreach (var collection in new[] { _fixture.Indexed, _fixture.Flat })
        {
            var results = await collection.SearchAsync(query, K, new() { Filter = filter }).ToListAsync();
            Assert.Equal(expected.Select(e => e.Id), results.Select(r => r.Record.Id));
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Distance, results[i].Score!.Value, 4);
                Assert.True(passes(results[i].Record));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Get_with_a_filter_returns_exactly_the_records_that_pass(string name)
    {
        var filter = Filters[name];
        var expected = _fixture.Hotels.Where(filter.Compile()).Select(h => h.Id).Order().ToList();
        var actual = await _fixture.Indexed.GetAsync(filter, 1000).Select(h => h.Id).ToListAsync();
        Assert.Equal(expected, actual.Order());
    }

    [Fact]
    public async Task Get_with_a_filter_orders_skips_and_takes()
    {
        var options = new FilteredRecordRetrievalOptions<Hotel>
        {
            OrderBy = o => o.Descending(h => h.Rating).Ascending(h => h.Price),
            Skip = 3,
            IncludeVectors = true,
        };
        var actual = await _fixture.Indexed.GetAsync(h => h.Open, 7, options).ToListAsync();
        var expected = _fixture.Hotels.Where(h => h.Open).OrderByDescending(h => h.Rating).ThenBy(h => h.Price).Skip(3).Take(7).ToList();
        Assert.Equal(expected.Select(h => h.Id), actual.Select(h => h.Id));
        Assert.All(actual, h => Assert.Equal(Hotel.Dimensions, h.Embedding!.Value.Length));
    }

    [Fact]
    public async Task Skip_and_score_threshold_match_the_exact_answer()
    {
        var query = _fixture.Query;
        var ranked = _fixture.Hotels.Select(h => (h.Id, Distance: Data.Distance(DistanceFunction.CosineDistance, query, h.Embedding!.Value.Span)))
            .OrderBy(x => x.Distance).ToList();

        var page = await _fixture.Indexed.SearchAsync(query, 5, new() { Skip = 5 }).ToListAsync();
        Assert.Equal(ranked.Skip(5).Take(5).Select(x => x.Id), page.Select(r => r.Record.Id));

        // Cosine distance: smaller is nearer, so the threshold keeps scores at most the threshold.
        var threshold = ranked[3].Distance + 1e-6;
        var within = await _fixture.Indexed.SearchAsync(query, 10, new() { ScoreThreshold = threshold }).ToListAsync();
        Assert.Equal(ranked.Take(4).Select(x => x.Id), within.Select(r => r.Record.Id));
        var flatWithin = await _fixture.Flat.SearchAsync(query, 10, new() { ScoreThreshold = threshold, Filter = h => h.Id > 0 }).ToListAsync();
        Assert.Equal(ranked.Take(4).Select(x => x.Id), flatWithin.Select(r => r.Record.Id));
    }

    [Fact]
    public async Task Hybrid_search_answers_alike_over_the_index_and_the_flat_scan_with_the_filter_on_both_legs()
    {
        // The index search is exhaustive here, so both vector legs rank the same records the same way.
        Expression<Func<Hotel, bool>> filter = h => h.Rating >= 3 || h.Lang == "de";
        var passes = filter.Compile();
        var options = new HybridSearchOptions<Hotel> { Filter = filter };
        var indexed = await ((IKeywordHybridSearchable<Hotel>)_fixture.Indexed).HybridSearchAsync(_fixture.Query, ["quiet", "river"], 15, options).ToListAsync();
        var flat = await ((IKeywordHybridSearchable<Hotel>)_fixture.Flat).HybridSearchAsync(_fixture.Query, ["quiet", "river"], 15, options).ToListAsync();
        Assert.Equal(15, indexed.Count);
        Assert.Equal(indexed.Select(r => (r.Record.Id, Math.Round(r.Score!.Value, 9))), flat.Select(r => (r.Record.Id, Math.Round(r.Score!.Value, 9))));
        Assert.All(indexed, r => Assert.True(passes(r.Record)));
        Assert.Contains(indexed, r => r.Record.Description.Contains("quiet") || r.Record.Description.Contains("river"));
    }

    [Fact]
    public async Task A_filtered_search_returns_k_results_when_k_records_pass()
    {
        // Only a few records pass and they are far from the query: a filter applied after the search would lose them.
        var results = await _fixture.Indexed.SearchAsync(_fixture.Query, K, new() { Filter = h => h.Rating == 5 && h.Lang == "fr" }).ToListAsync();
        Assert.Equal(Math.Min(K, _fixture.Hotels.Count(h => h.Rating == 5 && h.Lang == "fr")), results.Count);
    }

    public sealed class Fixture : IAsyncLifetime
    {
        private readonly TempDatabase _db = new();
        private DiskAnnVectorStore? _store;

        public List<Hotel> Hotels { get; } = Data.Hotels(300);

        public float[] Query { get; } = Data.RandomVector(new Random(1234), Hotel.Dimensions);

        public VectorStoreCollection<int, Hotel> Indexed { get; private set; } = null!;

        public VectorStoreCollection<int, Hotel> Flat { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            // A candidate list larger than the collection makes the graph search exhaustive.
            _store = new DiskAnnVectorStore(_db.ConnectionString, new DiskAnnVectorStoreOptions { SearchListSize = 1000 });
            Indexed = _store.GetCollection<int, Hotel>("hotels");
            Flat = _store.GetCollection<int, Hotel>("hotels_flat", FlatDefinition());
            foreach (var collection in new[] { Indexed, Flat })
            {
                await collection.EnsureCollectionExistsAsync();
                await collection.UpsertAsync(Hotels);
            }
        }

        public Task DisposeAsync()
        {
            _store?.Dispose();
            _db.Dispose();
            return Task.CompletedTask;
        }

        /// <summary>The Hotel record from a definition instead of its attributes, with the vector an exact (Flat) scan.</summary>
        private static VectorStoreCollectionDefinition FlatDefinition() => new()
        {
            Properties =
            [
                new VectorStoreKeyProperty(nameof(Hotel.Id), typeof(int)),
                new VectorStoreDataProperty(nameof(Hotel.Lang), typeof(string)) { IsIndexed = true },
                new VectorStoreDataProperty(nameof(Hotel.Rating), typeof(int)) { IsIndexed = true },
                new VectorStoreDataProperty(nameof(Hotel.Price), typeof(double)) { IsIndexed = true },
                new VectorStoreDataProperty(nameof(Hotel.Open), typeof(bool)),
                new VectorStoreDataProperty(nameof(Hotel.Code), typeof(long?)),
                new VectorStoreDataProperty(nameof(Hotel.Stars), typeof(int?)),
                new VectorStoreDataProperty(nameof(Hotel.Tags), typeof(string[])),
                new VectorStoreDataProperty(nameof(Hotel.Description), typeof(string)) { IsFullTextIndexed = true },
                new VectorStoreVectorProperty(nameof(Hotel.Embedding), typeof(ReadOnlyMemory<float>?), Hotel.Dimensions)
                {
                    DistanceFunction = DistanceFunction.CosineDistance,
                    IndexKind = IndexKind.Flat,
                },
            ],
        };
    }
}
