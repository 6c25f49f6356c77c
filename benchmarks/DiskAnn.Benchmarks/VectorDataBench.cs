using System.Diagnostics;
using System.Runtime.InteropServices;
using DiskAnn.VectorData;
using Microsoft.Extensions.VectorData;

namespace DiskAnn.Benchmarks;

/// <summary>
/// Issue 14: the Microsoft.Extensions.VectorData connector against raw SQL on the same index. <c>SearchAsync</c> (records
/// with key, name and description, scores) against the prepared raw KNN returning rowids and distances, and against
/// the raw KNN joined back to the same columns; measured in interleaved rounds, each variant reporting its median round.
/// Then hybrid search (FTS5 BM25 + vector, fused by RRF) with the held-out package's description words as keywords:
/// its latency, and how often its top k holds a package the vector search alone did not find among its candidates
/// (a keyword-only match).
/// </summary>
public static class VectorDataBench
{
    public sealed class BenchPackage
    {
        [VectorStoreKey]
        public long Id { get; set; }

        [VectorStoreData]
        public string Name { get; set; } = "";

        [VectorStoreData(IsFullTextIndexed = true)]
        public string Description { get; set; } = "";

        [VectorStoreVector(384, DistanceFunction = DistanceFunction.CosineDistance)]
        public ReadOnlyMemory<float> Embedding { get; set; }
    }

    private const int Rounds = 5;

    public static void Run(BenchContext context)
    {
        var data = context.Data;
        var k = context.K;
        if (data.Metric != Metric.Cosine || data.Dimension != 384)
        {
            Report.Line("vectordata: skipped (the record is declared 384-d cosine; run it on debian-minilm).");
            return;
        }

        var truth = context.Truth;
        var (names, descriptions) = Texts(context.Options, data);
        var path = context.NewDatabasePath("vectordata");
        using (var wal = SqlIndex.Open(path))
        {
            // WAL as in the other benchmarks: the store's connections inherit the file's journal mode.
        }

        using var store = new DiskAnnVectorStore($"Data Source={path}");
        var collection = store.GetCollection<long, BenchPackage>("packages");
        collection.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
        var sw = Stopwatch.StartNew();
        var records = new List<BenchPackage>(data.BaseCount);
        for (var i = 0; i < data.BaseCount; i++)
        {
            records.Add(new BenchPackage { Id = i + 1, Name = names[i], Description = descriptions[i], Embedding = data.Base(i).ToArray() });
        }

        collection.UpsertAsync(records).GetAwaiter().GetResult();
        var loadSeconds = sw.Elapsed.TotalSeconds;
        Report.Progress($"vectordata: upserted {data.BaseCount:N0} records in one batch in {loadSeconds:0.0} s");

        var queries = new ReadOnlyMemory<float>[data.QueryCount];
        for (var q = 0; q < data.QueryCount; q++)
        {
            queries[q] = data.Query(q).ToArray();
        }

        using var connection = SqlIndex.Open(path, wal: false);
        const string Index = "\"packages__vec_Embedding\"";
        using var knn = new KnnQuery(connection, Index, k, withListSize: false);
        knn.Prepare();
        using var knnJoined = new KnnQuery(
            connection,
            $"SELECT n.rowid, d.\"Id\", d.\"Name\", d.\"Description\", n.distance FROM {Index} AS n JOIN \"packages\" AS d ON d.\"Id\" = n.rowid "
            + $"WHERE n.vector MATCH $q AND n.k = {k} ORDER BY n.distance");
        knnJoined.Prepare();

        int Search(int q, Span<int> found)
        {
            var n = 0;
            foreach (var hit in collection.SearchAsync(queries[q], k).ToListAsync().AsTask().GetAwaiter().GetResult())
            {
                found[n++] = (int)hit.Record.Id - 1;
            }

            return n;
        }

        var variants = new (string Name, QueryRun.Search Search)[]
        {
            ("raw SQL, prepared: `SELECT rowid, distance FROM ix WHERE vector MATCH $q AND k = 10`", (q, found) => knn.Run(data.QueryBlobs[q], found)),
            ("raw SQL, prepared, joined to the records' columns (Id, Name, Description, distance)", (q, found) => knnJoined.Run(data.QueryBlobs[q], found)),
            ("`collection.SearchAsync(vector, 10)` (records and scores, enumerated)", Search),
        };
        var outcomes = MeasureInterleaved(data, truth, k, variants);
        var raw = outcomes[0].MeanMs;
        var joined = outcomes[1].MeanMs;
        var table = new MarkdownTable("variant", "recall@10", "QPS", "mean ms", "p90 ms", "vs raw KNN", "vs raw KNN joined");
        for (var i = 0; i < variants.Length; i++)
        {
            var o = outcomes[i];
            table.Add(variants[i].Name, o.Recall.ToString("0.000"), o.Qps.ToString("N0"), o.MeanMs.ToString("0.000"), o.P90Ms.ToString("0.000"), (o.MeanMs / raw).ToString("0.00") + "x", (o.MeanMs / joined).ToString("0.00") + "x");
        }

        Report.Heading("Microsoft.Extensions.VectorData connector (issue 14)");
        Report.Line($"{data.Name}; {data.BaseCount:N0} records upserted in one `UpsertAsync` batch (one transaction: data table, index, FTS5) in {loadSeconds:0.0} s; k = {k}, default search_list_size (64); {Rounds} interleaved rounds of all {data.QueryCount:N0} queries, median round per variant.");
        Report.Table(table);
        Hybrid(collection, data, queries, descriptions, k);
    }

    private static void Hybrid(DiskAnnCollection<long, BenchPackage> collection, Dataset data, ReadOnlyMemory<float>[] queries, string[] descriptions, int k)
    {
        var hybrid = (IKeywordHybridSearchable<BenchPackage>)collection;
        var keywordSets = new List<string>[data.QueryCount];
        for (var q = 0; q < data.QueryCount; q++)
        {
            keywordSets[q] = Keywords(descriptions[data.BaseCount + q]);
        }

        // Warm up, then one timed pass each (the vector search's top 2k is what the hybrid's vector leg draws from).
        for (var q = 0; q < Math.Min(50, data.QueryCount); q++)
        {
            _ = hybrid.HybridSearchAsync(queries[q], keywordSets[q], k).ToListAsync().AsTask().GetAwaiter().GetResult();
        }

        var latencies = new double[data.QueryCount];
        var withKeywordOnly = 0;
        var keywordOnlyTotal = 0;
        var withKeywords = 0;
        for (var q = 0; q < data.QueryCount; q++)
        {
            var start = Stopwatch.GetTimestamp();
            var results = hybrid.HybridSearchAsync(queries[q], keywordSets[q], k).ToListAsync().AsTask().GetAwaiter().GetResult();
            latencies[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (keywordSets[q].Count == 0)
            {
                continue;
            }

            withKeywords++;
            var vectorCandidates = collection.SearchAsync(queries[q], Math.Max(20, 2 * k)).ToListAsync().AsTask().GetAwaiter().GetResult().Select(r => r.Record.Id).ToHashSet();
            var keywordOnly = results.Count(r => !vectorCandidates.Contains(r.Record.Id));
            keywordOnlyTotal += keywordOnly;
            withKeywordOnly += keywordOnly > 0 ? 1 : 0;
        }

        var sorted = latencies.Order().ToArray();
        Report.Line($"\nHybrid search (`HybridSearchAsync(vector, keywords, {k})`): keywords are the held-out package's description words of 5 letters or more (any matches; {withKeywords:N0} of {data.QueryCount:N0} queries have some); each leg takes {Math.Max(20, 2 * k)} candidates, fused by reciprocal rank fusion.");
        var table = new MarkdownTable("mean ms", "p50 ms", "p90 ms", "queries whose top 10 holds a keyword-only match", "keyword-only matches per query");
        table.Add(latencies.Average().ToString("0.000"), sorted[sorted.Length / 2].ToString("0.000"), sorted[(int)(0.9 * (sorted.Length - 1))].ToString("0.000"),
            $"{withKeywordOnly:N0} of {withKeywords:N0} ({100.0 * withKeywordOnly / Math.Max(1, withKeywords):0.0}%)", ((double)keywordOnlyTotal / Math.Max(1, withKeywords)).ToString("0.00"));
        Report.Table(table);
        Report.Line("A keyword-only match is a result that the vector search does not return among its own candidates (its top 20): only the keywords found it.");
    }

    /// <summary>Each variant measured once per round, rounds interleaved; per variant the round with the median time.</summary>
    private static QueryRun.Outcome[] MeasureInterleaved(Dataset data, GroundTruth truth, int k, (string Name, QueryRun.Search Search)[] variants)
    {
        var repeat = QueryRun.Repeat;
        QueryRun.Repeat = 1;
        try
        {
            var rounds = variants.Select(_ => new List<QueryRun.Outcome>()).ToArray();
            for (var round = 0; round < Rounds; round++)
            {
                for (var v = 0; v < variants.Length; v++)
                {
                    rounds[v].Add(QueryRun.Measure(data, truth, k, variants[v].Search, warmup: round == 0 ? 200 : 20));
                }

                Report.Progress($"vectordata: round {round + 1}/{Rounds}: " + string.Join(", ", rounds.Select(r => r[^1].MeanMs.ToString("0.000") + " ms")));
            }

            return [.. rounds.Select(r => r.OrderBy(o => o.MeanMs).ElementAt(r.Count / 2))];
        }
        finally
        {
            QueryRun.Repeat = repeat;
        }
    }

    private static List<string> Keywords(string description)
        => [.. description.Split([' ', ',', '.', '(', ')', '-', '/', ':', ';', '"', '\''], StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length >= 5).Select(w => w.ToLowerInvariant()).Distinct()];

    /// <summary>Names and descriptions of every vector of the file (base then held-out queries), from texts.tsv beside it.</summary>
    private static (string[] Names, string[] Descriptions) Texts(Options options, Dataset data)
    {
        var file = Path.Combine(Path.GetDirectoryName(options.ResolveDataPath()) ?? ".", "texts.tsv");
        var lines = File.Exists(file) ? File.ReadAllLines(file) : [];
        var total = data.BaseCount + data.QueryCount;
        var names = new string[total];
        var descriptions = new string[total];
        // The queries are the file's last vectors: their texts are the last lines (when --base limits the base, the lines between are skipped).
        for (var i = 0; i < total; i++)
        {
            var line = i < data.BaseCount ? i : lines.Length - data.QueryCount + (i - data.BaseCount);
            var parts = line >= 0 && line < lines.Length ? lines[line].Split('\t') : [];
            names[i] = parts.Length > 1 ? parts[1] : $"doc {i + 1}";
            descriptions[i] = parts.Length > 2 ? parts[2] : "";
        }

        return (names, descriptions);
    }
}
