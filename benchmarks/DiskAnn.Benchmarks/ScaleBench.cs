using System.Diagnostics;

namespace DiskAnn.Benchmarks;

/// <summary>
/// Issue 4, scale: synthetic clustered Gaussian data (128-d, l2) at growing N; build time, size, and query latency at
/// the smallest search_list_size reaching the target recall. Latency should grow like log N.
/// </summary>
public static class ScaleBench
{
    public static void Run(BenchContext context)
    {
        var options = context.Options;
        var sizes = options.GetInts("sizes") ?? [100_000];
        var k = context.K;
        var metrics = (options.Get("scale-metrics") ?? "cosine,l2").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var table = new MarkdownTable("metric", "N", "build (s)", "cores used", "index MB", "index / raw", "search_list_size", $"recall@{k}", "mean ms", "p90 ms", "QPS", "exact SIMD scan ms", "speed-up vs exact");
        foreach (var metricName in metrics)
        foreach (var n in sizes)
        {
            var metric = metricName == "cosine" ? Metric.Cosine : Metric.L2;
            var data = Dataset.Synthetic(n, Math.Min(options.QueryLimit ?? 1000, 1000), options.Dimension, metric);
            var sw = Stopwatch.StartNew();
            var truth = GroundTruth.Compute(data, k);
            Report.Progress($"scale: {data.Name}; ground truth {sw.Elapsed.TotalSeconds:0.0} s");

            var path = context.NewDatabasePath($"scale-{n}");
            using var connection = SqlIndex.Open(path);
            var build = SqlIndex.Build(connection, data, "idx", options.IndexOptions, SqlIndex.AllRows(data));
            var bytes = SqlIndex.IndexBytes(connection, data, "idx", options.IndexOptions).Total;
            Report.Progress($"scale: N={n:N0} built in {build.TotalSeconds:0.0} s");

            using var knn = new KnnQuery(connection, "idx", k, withListSize: true);
            knn.Prepare();
            (int L, QueryRun.Outcome O)? chosen = null;
            foreach (var l in options.SearchListSizes.Where(l => l >= k))
            {
                knn.ListSize = l;
                var outcome = QueryRun.Measure(data, truth, k, (q, found) => knn.Run(data.QueryBlobs[q], found));
                Report.Progress($"scale: N={n:N0} L={l} recall {outcome.Recall:0.0000} mean {outcome.MeanMs:0.000} ms");
                chosen = (l, outcome);
                if (outcome.Recall >= options.TargetRecall)
                {
                    break;
                }
            }

            var searcher = new ExactSearcher(data);
            var distances = new float[k];
            var exact = QueryRun.Measure(data, truth, k, (q, found) => searcher.Search(data.Query(q), k, default, found, distances), queryCount: 200, warmup: 5);
            var (cl, co) = chosen!.Value;
            table.Add(metricName, n, build.TotalSeconds, build.CoresUsed, Report.Mb(bytes), Report.X((double)bytes / data.RawBytes), cl, co.Recall, co.MeanMs, co.P90Ms, co.Qps, exact.MeanMs, Report.X(exact.MeanMs / co.MeanMs));
            connection.Close();
            File.Delete(path);
        }

        Report.Heading($"Scale: synthetic clustered Gaussian, {options.Dimension}-d, k = {k}, one query at a time through SQL (smallest listed search_list_size with recall >= {options.TargetRecall}, else the largest)");
        Report.Table(table);
    }
}
