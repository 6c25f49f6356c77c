using System.Diagnostics;

namespace DiskAnn.Benchmarks;

/// <summary>
/// Issue 4: is the parallel bulk build (all rows in one transaction, linked at COMMIT on every core) as good as a
/// serial one (one row per transaction, so each row is linked alone into the graph as it stood)? Same rows, recall at
/// equal search_list_size. Runs on the first --quality-base rows (default 20,000) to keep the serial build short.
/// </summary>
public static class BuildQualityBench
{
    public static void Run(BenchContext context)
    {
        var options = context.Options;
        var full = context.Data;
        var n = Math.Min(options.GetInt("quality-base") ?? 20_000, full.BaseCount);
        var k = context.K;
        var rows = Enumerable.Range(0, n).Select(i => ((long)i + 1, i)).ToArray();
        var candidates = Enumerable.Range(0, n).ToArray();
        var allowed = new bool[full.BaseCount];
        Array.Fill(allowed, true, 0, n);
        var truth = GroundTruth.Compute(full, k, candidates);
        var listSizes = options.SearchListSizes.Where(l => l >= k && l <= 100).ToArray();

        var table = new MarkdownTable(["build", "rows", "build (s)", "cores used", .. listSizes.Select(l => $"recall@{k} L={l}")]);

        // Parallel: one transaction.
        var bulkPath = context.NewDatabasePath("quality-bulk");
        using (var connection = SqlIndex.Open(bulkPath))
        {
            var build = SqlIndex.Build(connection, full, "idx", options.IndexOptions, rows);
            table.Add([$"one transaction (batched, parallel at COMMIT)", n, build.TotalSeconds, build.CoresUsed, .. Recalls(context, connection, truth, allowed, listSizes)]);
            Report.Progress($"quality: bulk build {build.TotalSeconds:0.0} s");
        }

        // Serial: autocommit, one row per transaction (synchronous=OFF: the fsyncs are not what is measured here).
        var serialPath = context.NewDatabasePath("quality-serial");
        using (var connection = SqlIndex.Open(serialPath))
        {
            SqlIndex.Exec(connection, "PRAGMA synchronous=OFF");
            SqlIndex.Exec(connection, SqlIndex.CreateSql(full, "idx", options.IndexOptions));
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            SqlIndex.Insert(connection, null, full, "idx", rows);
            var seconds = sw.Elapsed.TotalSeconds;
            var cores = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / seconds;
            table.Add([$"one row per transaction (serial inserts)", n, seconds, cores, .. Recalls(context, connection, truth, allowed, listSizes)]);
            Report.Progress($"quality: serial build {seconds:0.0} s");
        }

        Report.Heading($"Parallel bulk build vs serial inserts, same {n:N0} rows ({full.Name})");
        Report.Table(table);
    }

    private static object?[] Recalls(BenchContext context, Microsoft.Data.Sqlite.SqliteConnection connection, GroundTruth truth, bool[] allowed, int[] listSizes)
    {
        using var knn = new KnnQuery(connection, "idx", context.K, withListSize: true);
        knn.Prepare();
        return listSizes.Select(l =>
        {
            knn.ListSize = l;
            return (object?)QueryRun.Measure(context.Data, truth, context.K, (q, found) => knn.Run(context.Data.QueryBlobs[q], found), allowed: allowed).Recall;
        }).ToArray();
    }
}
