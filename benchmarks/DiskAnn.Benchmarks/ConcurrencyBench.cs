using System.Diagnostics;

namespace DiskAnn.Benchmarks;

/// <summary>Issue 4: two connections querying at once on two threads vs one connection.</summary>
public static class ConcurrencyBench
{
    public static void Run(BenchContext context)
    {
        var built = SqlBench.Run(context);
        var data = context.Data;
        var l = built.OperatingL;

        var one = Measure(context, built.DbPath, l, threads: 1);
        var two = Measure(context, built.DbPath, l, threads: 2);
        Report.Progress($"concurrency: 1 connection {one.Qps:0} QPS, 2 connections {two.Qps:0} QPS");

        Report.Heading($"Concurrent readers (file db, WAL, search_list_size = {l}, each connection runs all {data.QueryCount:N0} queries)");
        Report.Table(new MarkdownTable("connections (one thread each)", "total QPS", $"recall@{context.K}", "vs one connection", "target")
            .Add(1, one.Qps, one.Recall, Report.X(1), "")
            .Add(2, two.Qps, two.Recall, Report.X(two.Qps / one.Qps), ">= 1.7x"));
    }

    private static (double Qps, double Recall) Measure(BenchContext context, string path, int l, int threads)
    {
        var data = context.Data;
        var truth = context.Truth;
        var k = context.K;
        var connections = Enumerable.Range(0, threads).Select(_ => SqlIndex.Open(path)).ToArray();
        var queries = connections.Select(c => new KnnQuery(c, SqlBench.Table, k, withListSize: true)).ToArray();
        var recalls = new double[threads];
        try
        {
            foreach (var q in queries)
            {
                q.Prepare();
                q.ListSize = l;
            }

            using var barrier = new Barrier(threads + 1);
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                var found = new int[k];
                for (var q = 0; q < Math.Min(50, data.QueryCount); q++)
                {
                    queries[t].Run(data.QueryBlobs[q], found);
                }

                barrier.SignalAndWait();
                double recall = 0;
                for (var q = 0; q < data.QueryCount; q++)
                {
                    // Each thread walks the queries from a different offset so they do not march in lockstep.
                    var query = (q + (t * data.QueryCount / threads)) % data.QueryCount;
                    var n = queries[t].Run(data.QueryBlobs[query], found);
                    recall += truth.Recall(data, query, found.AsSpan(0, n));
                }

                recalls[t] = recall / data.QueryCount;
                barrier.SignalAndWait();
            })).ToArray();
            foreach (var w in workers)
            {
                w.Start();
            }

            barrier.SignalAndWait();
            var sw = Stopwatch.StartNew();
            barrier.SignalAndWait();
            var seconds = sw.Elapsed.TotalSeconds;
            foreach (var w in workers)
            {
                w.Join();
            }

            return (threads * data.QueryCount / seconds, recalls.Average());
        }
        finally
        {
            foreach (var q in queries)
            {
                q.Dispose();
            }

            foreach (var c in connections)
            {
                c.Dispose();
            }
        }
    }
}
