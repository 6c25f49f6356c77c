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

        // A copy of the database, so that two connections can also be measured on two separate files: if that scales
        // and the shared file does not, the contention is in the shared file (WAL index, file locks), not in the process.
        var copy = context.NewDatabasePath("index-copy");
        using (var connection = SqlIndex.Open(built.DbPath))
        {
            SqlIndex.Exec(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
            SqlIndex.Exec(connection, $"VACUUM INTO '{copy}'");
        }

        var one = Measure(context, [built.DbPath], l);
        var two = Measure(context, [built.DbPath, built.DbPath], l);
        var twoFiles = Measure(context, [built.DbPath, copy], l);
        Report.Progress($"concurrency: 1 connection {one.Qps:0} QPS, 2 connections {two.Qps:0} QPS");
        Control(data, threads: 1); // warm-up (JIT)
        var control1 = Control(data, threads: 1);
        var control2 = Control(data, threads: 2);

        Report.Heading($"Concurrent readers (file db, WAL, search_list_size = {l}, each connection runs all {data.QueryCount:N0} queries)");
        Report.Table(new MarkdownTable("connections (one thread each)", "total QPS", $"recall@{context.K}", "vs one connection", "target")
            .Add(1, one.Qps, one.Recall, Report.X(1), "")
            .Add(2, two.Qps, two.Recall, Report.X(two.Qps / one.Qps), ">= 1.7x")
            .Add("2, each on its own copy of the file", twoFiles.Qps, twoFiles.Recall, Report.X(twoFiles.Qps / one.Qps), "")
            .Add("control: in-process exact scan of 2,000 cached rows, 1 thread", control1, "", Report.X(1), "")
            .Add("control: the same, 2 threads", control2, "", Report.X(control2 / control1), "what the machine gave 2 threads at that moment"));
    }

    /// <summary>A CPU-bound, cache-resident loop on 1 or 2 threads: how much a second thread can add on this machine now.</summary>
    private static double Control(Dataset data, int threads)
    {
        var candidates = Enumerable.Range(0, Math.Min(2000, data.BaseCount)).ToArray();
        var perThread = 2000;
        var sw = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var searcher = new ExactSearcher(data);
            var ids = new int[10];
            var distances = new float[10];
            for (var q = 0; q < perThread; q++)
            {
                searcher.Search(data.Query((q + (t * 7)) % data.QueryCount), 10, candidates, ids, distances);
            }
        });
        return threads * perThread / sw.Elapsed.TotalSeconds;
    }

    private static (double Qps, double Recall) Measure(BenchContext context, string[] paths, int l)
    {
        var threads = paths.Length;
        var data = context.Data;
        var truth = context.Truth;
        var k = context.K;
        var connections = paths.Select(p => SqlIndex.Open(p)).ToArray();
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
