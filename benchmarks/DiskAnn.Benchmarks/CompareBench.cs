using System.Diagnostics;
using Cloud.Unum.USearch;

namespace DiskAnn.Benchmarks;

/// <summary>
/// Issue 4: the same vectors, queries and ground truth through USearch (HNSW, in memory, same thread count),
/// the diskann index through SQL and the exact scans, in one run, as ratios.
/// </summary>
public static class CompareBench
{
    public sealed record USearchResult(double BuildSeconds, double CoresUsed, long MemoryBytes, IReadOnlyList<(int Expansion, QueryRun.Outcome Outcome)> Curve);

    public static USearchResult RunUSearch(BenchContext context)
    {
        var data = context.Data;
        var truth = context.Truth;
        var k = context.K;
        var options = context.Options;
        var threads = options.Threads;
        var metric = data.Metric == Metric.Cosine ? MetricKind.Cos : MetricKind.L2sq;

        using var index = new USearchNative(metric, data.Dimension, options.UsearchConnectivity, options.UsearchExpansionAdd, 64);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        index.Reserve(data.BaseCount, threads);
        var threadIds = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        Parallel.For(0, data.BaseCount, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            threadIds.TryAdd(Environment.CurrentManagedThreadId, 0);
            index.Add((ulong)i, data.Base(i));
        });
        Report.Progress($"usearch: {threadIds.Count} threads added");
        var buildSeconds = sw.Elapsed.TotalSeconds;
        var cores = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / buildSeconds;
        Report.Progress($"usearch: built {data.BaseCount:N0} in {buildSeconds:0.00} s with {threads} threads ({cores:0.00} cores)");

        var keys = new ulong[k];
        var distances = new float[k];
        var curve = new List<(int, QueryRun.Outcome)>();
        foreach (var expansion in options.UsearchExpansions)
        {
            index.ExpansionSearch = expansion;
            var outcome = QueryRun.Measure(data, truth, k, (q, found) =>
            {
                var n = index.Search(data.Query(q), keys, distances);
                for (var i = 0; i < n; i++)
                {
                    found[i] = (int)keys[i];
                }

                return n;
            });
            curve.Add((expansion, outcome));
            Report.Progress($"usearch: expansion_search={expansion} recall {outcome.Recall:0.0000} QPS {outcome.Qps:0}");
        }

        return new USearchResult(buildSeconds, cores, index.MemoryUsage, curve);
    }

    public static void Run(BenchContext context)
    {
        var data = context.Data;
        var options = context.Options;
        SqlBench.Result? ours = null;
        try
        {
            ours = SqlBench.Run(context);
        }
        catch (NotImplementedException e)
        {
            Report.Progress($"compare: diskann unavailable ({e.Message}); USearch and the exact scan only");
        }

        var usearch = RunUSearch(context);
        var exactSimd = ours?.ExactSimd ?? MeasureExact(context);

        Report.Heading($"Side by side — {data.Name}, k = {context.K}, one query at a time, {options.Threads} build threads");
        var table = new MarkdownTable("engine", "setting", "build (s)", "build cores used", $"recall@{context.K}", "QPS", "mean ms", "p90 ms");
        if (ours is not null)
        {
            foreach (var (l, o) in ours.Curve)
            {
                table.Add("diskann through SQL (file db)", $"search_list_size={l}", ours.Build.TotalSeconds, ours.Build.CoresUsed, o.Recall, o.Qps, o.MeanMs, o.P90Ms);
            }
        }

        foreach (var (e, o) in usearch.Curve)
        {
            table.Add($"USearch 2.26.6 HNSW in memory (M={options.UsearchConnectivity}, ef_add={options.UsearchExpansionAdd})", $"expansion_search={e}", usearch.BuildSeconds, usearch.CoresUsed, o.Recall, o.Qps, o.MeanMs, o.P90Ms);
        }

        table.Add("exact SIMD scan in process", "1 thread", "", "", exactSimd.Recall, exactSimd.Qps, exactSimd.MeanMs, exactSimd.P90Ms);
        if (ours is not null)
        {
            table.Add("exact scan through SQL", $"{Math.Min(options.ExactSqlQueries, data.QueryCount)} queries", "", "", ours.ExactSql.Recall, ours.ExactSql.Qps, ours.ExactSql.MeanMs, ours.ExactSql.P90Ms);
        }

        Report.Table(table);
        Report.Line($"USearch memory: {Report.Mb(usearch.MemoryBytes)} MB.");

        if (ours is null)
        {
            return;
        }

        // Ratios at our operating point against USearch tuned to the same recall.
        var op = ours.AtOperatingPoint;
        if (op.Recall < options.TargetRecall)
        {
            Report.Line($"diskann did not reach recall@{context.K} {options.TargetRecall} at any listed search_list_size (best at L={ours.OperatingL}: {op.Recall:0.000}); the QPS ratios below compare unequal recall.");
        }

        var atLeast = usearch.Curve.Where(c => c.Outcome.Recall >= op.Recall).OrderBy(c => c.Expansion).Select(c => ((int, QueryRun.Outcome)?)c).FirstOrDefault();
        var atMost = usearch.Curve.Where(c => c.Outcome.Recall <= op.Recall).OrderByDescending(c => c.Expansion).Select(c => ((int, QueryRun.Outcome)?)c).FirstOrDefault();
        var ratios = new MarkdownTable("ratio", "value", "target");
        ratios.Add("build: diskann / USearch (same threads)", Report.X(ours.Build.TotalSeconds / usearch.BuildSeconds), "<= 1.00x");
        ratios.Add("build cores used (diskann, process CPU / wall)", ours.Build.CoresUsed, "~2 (both cores)");
        if (atLeast is { } a)
        {
            ratios.Add($"QPS: diskann L={ours.OperatingL} (recall {op.Recall:0.000}) / USearch ef={a.Item1} (recall {a.Item2.Recall:0.000}, the cheapest at >= ours)", Report.X(op.Qps / a.Item2.Qps), ">= 1.00x");
        }

        if (atMost is { } b)
        {
            ratios.Add($"QPS: diskann L={ours.OperatingL} / USearch ef={b.Item1} (recall {b.Item2.Recall:0.000}, the best at <= ours)", Report.X(op.Qps / b.Item2.Qps), ">= 1.00x");
        }

        ratios.Add($"QPS: diskann L={ours.OperatingL} / exact SIMD scan in process", Report.X(op.Qps / exactSimd.Qps), "");
        ratios.Add($"QPS: diskann L={ours.OperatingL} / exact scan through SQL", Report.X(op.Qps / ours.ExactSql.Qps), ">= 10x (issue 2)");
        ratios.Add("size: diskann shadow tables / raw float32", Report.X((double)ours.IndexBytes / data.RawBytes), "<= 1.25x (issue 4), <= 1.5x (issue 2)");
        ratios.Add("size: USearch memory / raw float32", Report.X((double)usearch.MemoryBytes / data.RawBytes), "");
        Report.Table(ratios);
    }

    private static QueryRun.Outcome MeasureExact(BenchContext context)
    {
        var data = context.Data;
        var searcher = new ExactSearcher(data);
        var distances = new float[context.K];
        return QueryRun.Measure(data, context.Truth, context.K, (q, found) => searcher.Search(data.Query(q), context.K, default, found, distances), warmup: 5);
    }
}
