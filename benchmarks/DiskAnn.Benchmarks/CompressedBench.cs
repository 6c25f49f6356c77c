namespace DiskAnn.Benchmarks;

/// <summary>
/// Issue 4, compressed storage: the same vectors, queries and ground truth built twice through SQL (one transaction
/// each, each index alone in its own file): <c>quantization=none</c> (the default) and <c>quantization=int8</c>.
/// Size against raw float32, recall@k and QPS per search_list_size, and int8 with the README's re-rank: k' = 4k
/// candidates from the index, ordered by the exact float distance computed in SQL against a base table holding the
/// full vectors.
/// </summary>
public static class CompressedBench
{
    public const string Table = "idx";

    private const double TargetSize = 0.5;

    private sealed record Variant(string Name, SqlIndex.BuildTimes Build, long IndexBytes, IReadOnlyList<(int L, QueryRun.Outcome Outcome, double StrictRecall)> Curve);

    public static void Run(BenchContext context)
    {
        var data = context.Data;
        var options = context.Options;
        var k = context.K;
        var listSizes = (options.GetInts("L") ?? [10, 20, 40, 64, 100]).Where(l => l >= k).ToArray();
        var candidates = 4 * k;
        var int8Options = string.IsNullOrWhiteSpace(options.IndexOptions) ? "quantization=int8" : "quantization=int8, " + options.IndexOptions;

        var none = BuildAndMeasure(context, "none", "quantization=none (default)", options.IndexOptions, listSizes, rerankCandidates: null);
        var int8 = BuildAndMeasure(context, "int8", "quantization=int8", int8Options, listSizes, rerankCandidates: candidates);
        var reranked = int8.Reranked!;

        Report.Heading($"Compressed storage (`quantization=int8`) — {data.Name}, k = {k}, one query at a time through SQL");
        var table = new MarkdownTable("storage", "build (s)", "cores used", "index / raw float32", "search_list_size", $"recall@{k}", $"recall@{k}, ids only", "QPS", "mean ms", "p90 ms");
        foreach (var v in new[] { none.Plain, int8.Plain, reranked })
        {
            foreach (var (l, o, strict) in v.Curve)
            {
                table.Add(v.Name, v.Build.TotalSeconds, v.Build.CoresUsed, Report.X((double)v.IndexBytes / data.RawBytes), l, o.Recall, strict, o.Qps, o.MeanMs, o.P90Ms);
            }
        }

        Report.Table(table);
        Report.Line($"Size as in the sql command, shadow tables only; none: {none.Breakdown}; int8: {int8.Breakdown}; raw float32 {Report.Mb(data.RawBytes)} MB. "
            + $"Recall is scored by rowid against the exact float32 ground truth; `recall@{k}` accepts a tie when the returned row's exact float distance (recomputed from the data, never the index's approximate int8 distance) is within {GroundTruth.TieEpsilon:0e0} of the {k}th; `ids only` accepts no tie. "
            + $"int8 + re-rank: `SELECT d.id FROM (SELECT rowid FROM {Table} WHERE vector MATCH $q AND k = {candidates} AND search_list_size = $L) n JOIN docs d ON d.id = n.rowid ORDER BY vector_distance_{data.SqlMetric}(d.embedding, $q) LIMIT {k}` "
            + $"(docs(id INTEGER PRIMARY KEY, embedding BLOB) in the same file, not counted in the size; a search_list_size below k = {candidates} searches with {candidates}).\n");

        var ratios = new MarkdownTable("target (issue 4)", "measured", "status");
        foreach (var v in new[] { int8.Plain, reranked })
        {
            var size = (double)v.IndexBytes / data.RawBytes;
            var best = v.Curve.Where(c => c.Outcome.Recall >= options.TargetRecall).Select(c => ((int L, QueryRun.Outcome Outcome, double StrictRecall)?)c).FirstOrDefault();
            var measured = best is { } b
                ? $"{Report.X(size)} raw; recall@{k} {b.Outcome.Recall:0.000} at search_list_size={b.L} ({b.Outcome.Qps:N0} QPS)"
                : $"{Report.X(size)} raw; best recall@{k} {v.Curve.Max(c => c.Outcome.Recall):0.000}";
            ratios.Add($"{v.Name}: storage <= {TargetSize:0.0}x raw with recall@{k} >= {options.TargetRecall}", measured, size <= TargetSize && best is not null ? "met" : "missed");
        }

        Report.Table(ratios);
    }

    /// <summary>recall@k and QPS per search_list_size of an int8 table built alone (the `plot` mode's int8 curve).</summary>
    public static IReadOnlyList<(int L, QueryRun.Outcome Outcome)> Int8Curve(BenchContext context, int[] listSizes)
    {
        var options = context.Options.IndexOptions;
        var int8Options = string.IsNullOrWhiteSpace(options) ? "quantization=int8" : "quantization=int8, " + options;
        var (plain, _, _) = BuildAndMeasure(context, "int8", "quantization=int8", int8Options, listSizes, rerankCandidates: null);
        return [.. plain.Curve.Select(c => (c.L, c.Outcome))];
    }

    private static (Variant Plain, Variant? Reranked, string Breakdown) BuildAndMeasure(BenchContext context, string file, string name, string? createOptions, int[] listSizes, int? rerankCandidates)
    {
        var data = context.Data;
        var k = context.K;
        var path = context.NewDatabasePath("compressed-" + file);
        Report.Progress($"compressed: building {data.BaseCount:N0} rows ({name}) into {path}");
        SqlIndex.BuildTimes build;
        long indexBytes;
        string breakdown;
        using (var connection = SqlIndex.Open(path))
        {
            build = SqlIndex.Build(connection, data, Table, createOptions, SqlIndex.AllRows(data));
            SqlIndex.Exec(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
            (indexBytes, breakdown) = SqlIndex.IndexBytes(connection, data, Table, createOptions);
            if (rerankCandidates is not null)
            {
                // The base table the re-rank reads; created after the size is taken (it is not part of the index).
                SqlIndex.Exec(connection, "CREATE TABLE docs(id INTEGER PRIMARY KEY, embedding BLOB NOT NULL)");
                using var transaction = connection.BeginTransaction();
                SqlIndex.Insert(connection, transaction, data, "docs", SqlIndex.AllRows(data), column: "embedding");
                transaction.Commit();
            }
        }

        Report.Progress($"compressed: {name} built in {build.TotalSeconds:0.00} s ({build.CoresUsed:0.00} cores), {Report.X((double)indexBytes / data.RawBytes)} raw");
        using var reader = SqlIndex.Open(path);
        var plain = new Variant(name, build, indexBytes, Curve(context, new KnnQuery(reader, Table, k, withListSize: true), name, listSizes));
        Variant? reranked = null;
        if (rerankCandidates is { } c)
        {
            var sql = $"SELECT d.id FROM (SELECT rowid FROM {Table} WHERE vector MATCH $q AND k = {c} AND search_list_size = $L) AS n "
                + $"JOIN docs AS d ON d.id = n.rowid ORDER BY vector_distance_{data.SqlMetric}(d.embedding, $q) LIMIT {k}";
            reranked = new Variant($"{name} + re-rank ({c} candidates)", build, indexBytes, Curve(context, new KnnQuery(reader, sql), name + " + re-rank", listSizes));
        }

        return (plain, reranked, breakdown);
    }

    /// <summary>recall@k (ties accepted), QPS and latency per search_list_size, and recall by ids alone.</summary>
    private static List<(int L, QueryRun.Outcome Outcome, double StrictRecall)> Curve(BenchContext context, KnnQuery knn, string name, int[] listSizes)
    {
        var data = context.Data;
        var truth = context.Truth;
        var k = context.K;
        var answers = new int[data.QueryCount * k];
        var counts = new int[data.QueryCount];
        var curve = new List<(int, QueryRun.Outcome, double)>();
        using (knn)
        {
            knn.Prepare();
            foreach (var l in listSizes)
            {
                knn.ListSize = l;
                var outcome = QueryRun.Measure(data, truth, k, (q, found) =>
                {
                    var n = knn.Run(data.QueryBlobs[q], found);
                    found[..n].CopyTo(answers.AsSpan(q * k, k));
                    counts[q] = n;
                    return n;
                });
                double strict = 0;
                for (var q = 0; q < data.QueryCount; q++)
                {
                    var expected = truth.Neighbours(q);
                    var got = answers.AsSpan(q * k, counts[q]);
                    var hits = 0;
                    foreach (var id in expected)
                    {
                        hits += got.Contains(id) ? 1 : 0;
                    }

                    strict += expected.Length == 0 ? 1.0 : (double)hits / expected.Length;
                }

                curve.Add((l, outcome, strict / data.QueryCount));
                Report.Progress($"compressed: {name} L={l} recall {outcome.Recall:0.0000} (ids only {strict / data.QueryCount:0.0000}) QPS {outcome.Qps:0}");
            }
        }

        return curve;
    }
}
